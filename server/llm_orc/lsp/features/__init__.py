"""One module per language feature; `llm_orc.lsp.handlers` wires them to LSP methods."""
