"""Language server benchmarks: the real `python -m llm_orc.lsp` over stdio, driven by a pygls
client (see `bench_lsp.py`)."""
