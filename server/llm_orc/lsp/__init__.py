"""The llm-orc language server: live ensemble diagnostics, editing help, and runs from the editor.

Built on the engine's one validator and one event stream; started by `llm-orc lsp` or
`python -m llm_orc.lsp`.
"""
