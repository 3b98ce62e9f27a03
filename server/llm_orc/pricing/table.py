"""The maintained price table (`genai-prices`, its bundled snapshot: never fetched at run time).

Which table provider prices a llm-orc provider's models: the built-in cloud providers by name,
`openai-compatible` by its base URL (OpenAI itself without one), a plugin by its optional
`price_table_provider` class attribute. Providers that run on this machine (`local`, `ollama`,
or a plugin with `free_of_charge = True`) cost nothing. Everything else is unknown.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genai_prices.types import ModelPrice

_loaded = threading.Event()
"""Set once the table has been imported and read: a look-up no longer waits for it."""

FREE_PROVIDERS = frozenset({"local", "ollama"})
"""Models that run on this machine (or the user's own server): they cost nothing."""

_TABLE_PROVIDERS = {
    "anthropic": "anthropic",
    "anthropic-api": "anthropic",
    "google": "google",
    "google-gemini": "google",
    "gemini": "google",
}
_BY_URL = frozenset({"openai-compatible", "openai"})


@dataclass(frozen=True, slots=True)
class TableEntry:
    """A model's prices in the table."""

    provider_id: str
    model_id: str
    prices: ModelPrice


@dataclass(frozen=True, slots=True)
class NotInTable:
    """Why the table cannot price a model (one line)."""

    reason: str


Lookup = TableEntry | NotInTable | None
"""A table entry, why there is none, or None: the provider is free of charge."""


def _plugin_attribute(provider: str, name: str) -> Any:
    from llm_orc.providers.registry import provider_class

    cls = provider_class(provider)
    return getattr(cls, name, None) if cls is not None else None


def is_free(provider: str) -> bool:
    """Whether PROVIDER's models run here and cost nothing."""
    return provider in FREE_PROVIDERS or _plugin_attribute(provider, "free_of_charge") is True


def look_up(provider: str, model: str, base_url: str | None) -> Lookup:
    """MODEL of PROVIDER in the table (BASE_URL picks the table provider of an
    OpenAI-compatible server)."""
    if is_free(provider):
        return None
    table_id: str | None = _TABLE_PROVIDERS.get(provider)
    if table_id is None and provider not in _BY_URL:
        declared = _plugin_attribute(provider, "price_table_provider")
        if not isinstance(declared, str):
            return NotInTable(f"provider '{provider}' is not in the price table")
        table_id = declared
    if provider in _BY_URL and base_url is not None:
        return _cached(model, None, base_url.rstrip("/"))
    return _cached(model, table_id or "openai", None)


@cache
def _cached(model: str, provider_id: str | None, api_url: str | None) -> TableEntry | NotInTable:
    import genai_prices

    try:
        nothing = genai_prices.Usage()
        if api_url is not None:
            found = genai_prices.calc_price(nothing, model, provider_api_url=api_url)
        else:
            found = genai_prices.calc_price(nothing, model, provider_id=provider_id)
    except LookupError:
        _loaded.set()
        where = f"provider '{provider_id}'" if provider_id else f"the server at {api_url}"
        if api_url is not None and not _url_known(api_url):
            return NotInTable(f"the price table knows no provider at {api_url}")
        return NotInTable(f"model '{model}' is not in the price table for {where}")
    _loaded.set()
    return TableEntry(found.provider.id, found.model.id, found.model_price)


def _url_known(api_url: str) -> bool:
    import re

    from genai_prices.data_snapshot import get_snapshot

    return any(re.match(p.api_pattern, api_url) for p in get_snapshot().providers)


def table_loaded() -> bool:
    """Whether looking a model up is quick: the table has been imported, completely (a module
    another thread is still importing is already in `sys.modules`, so that cannot tell)."""
    return _loaded.is_set()


def load_table() -> None:
    """Import the table (about half a second, once per process): run it off the event loop."""
    import genai_prices.data  # noqa: F401

    _loaded.set()


def table_version() -> str:
    """The genai-prices version whose bundled snapshot prices runs."""
    from importlib.metadata import version

    return version("genai-prices")
