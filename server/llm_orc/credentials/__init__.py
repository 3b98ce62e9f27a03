"""Credentials: where API keys come from, and the value type that never shows them."""
