"""The `llm-orc` command line."""
