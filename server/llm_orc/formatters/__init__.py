"""Output formatters: how `llm-orc invoke` renders a run. Built-ins plus `llm_orc.formatters`
entry points, resolved by name through `llm_orc.formatters.registry`."""
