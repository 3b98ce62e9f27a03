"""Providers run models: the interface, the registry, and the built-in providers."""
