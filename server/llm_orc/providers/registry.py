"""The provider registry: names to providers, built-ins plus `llm_orc.providers` entry points.

Provider modules are imported only when a provider is used (or its options schema or
availability is asked for); they import their SDKs lazily, so that `llm-orc --help` and
`llm-orc validate` never pay for llama.cpp or an SDK.

Lifecycle: inside a running event loop there is one instance per provider and loop, created on
first use and closed (`aclose`) when the loop shuts down its async generators (`asyncio.run`
does, and so does the CLI's loop) or by `close_providers()`; clients bound to one loop are
never used on another. A ready instance given to `register_provider` is shared as it is.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import weakref
from collections.abc import AsyncGenerator
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, cast

from llm_orc.providers.base import Provider, ProviderUnavailableError

if TYPE_CHECKING:
    import asyncio  # imported where a loop is asked for: `llm-orc validate` never needs it

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "llm_orc.providers"

_BUILTIN: dict[str, str] = {
    "local": "llm_orc.providers.local:LocalProvider",
    "openai-compatible": "llm_orc.providers.openai_compatible:OpenAICompatibleProvider",
    "ollama": "llm_orc.providers.ollama:OllamaProvider",
    "anthropic": "llm_orc.providers.anthropic:AnthropicProvider",
    "anthropic-api": "llm_orc.providers.anthropic:AnthropicProvider",  # the public format's name
    "google": "llm_orc.providers.google:GoogleProvider",
    "google-gemini": "llm_orc.providers.google:GoogleProvider",
    "gemini": "llm_orc.providers.google:GoogleProvider",
}

_registered: dict[str, type[Provider] | Provider] = {}
_instances: dict[str, Provider] = {}
_imported: dict[str, type[Provider]] = {}
"""Provider classes imported from their targets (built-in or entry point), by name."""
"""Instances used outside any running loop (and ready instances registered)."""


class _LoopProviders:
    """The provider instances of one event loop, closed with it."""

    def __init__(self) -> None:
        self.instances: dict[str, Provider] = {}
        self.closer: AsyncGenerator[None, None] | None = None


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopProviders] = (
    weakref.WeakKeyDictionary()
)


def register_provider(name: str, provider: type[Provider] | Provider) -> None:
    """Register a provider class (instantiated per event loop) or a ready instance under NAME."""
    _registered[name] = provider
    _instances.pop(name, None)
    for providers in _per_loop.values():
        providers.instances.pop(name, None)


@cache
def _plugin_targets() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def provider_names() -> list[str]:
    """Every provider name that can be used here, sorted."""
    return sorted({*_BUILTIN, *_plugin_targets(), *_registered})


def is_known_provider(name: str) -> bool:
    return name in _registered or name in _BUILTIN or name in _plugin_targets()


def _import_target(target: str) -> type[Provider]:
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    provider_class: type[Provider] = getattr(module, attr)
    return provider_class


def provider_class(name: str) -> type[Provider] | None:
    """The class of provider NAME (importing its module, never its SDK); None if unknown."""
    entry = _registered.get(name)
    if entry is not None:
        return entry if isinstance(entry, type) else type(entry)
    if name in _imported:  # asked for every agent by the validator: import once
        return _imported[name]
    target = _BUILTIN.get(name) or _plugin_targets().get(name)
    if target is None:
        return None
    try:
        found = _imported[name] = _import_target(target)
        return found
    except Exception:
        logger.warning("provider '%s': cannot import %s", name, target, exc_info=True)
        return None


def provider_options_schema(name: str) -> dict[str, Any] | None:
    """The JSON Schema of provider NAME's `options`, when it declares one."""
    found = provider_class(name)
    schema = getattr(found, "options_schema", None) if found is not None else None
    return cast(dict[str, Any], schema) if isinstance(schema, dict) else None


def provider_availability(name: str) -> str | None:
    """None when provider NAME can run here (or is unknown: that is reported apart); else one
    line saying what to install."""
    found = provider_class(name)
    if found is None:
        return None
    check = getattr(found, "availability", None)
    if check is None:
        return None
    message = check()
    return message if isinstance(message, str) else None


def _new_instance(name: str) -> Provider:
    entry = _registered.get(name)
    if entry is None:
        target = _BUILTIN.get(name) or _plugin_targets().get(name)
        if target is None:
            raise ProviderUnavailableError(f"unknown provider '{name}'")
        entry = _import_target(target)
    return entry() if isinstance(entry, type) else entry


def get_provider(name: str) -> Provider:
    """Provider NAME's instance for the running event loop (outside one: the process's)."""
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    entry = _registered.get(name)
    if loop is None or (entry is not None and not isinstance(entry, type)):
        if name not in _instances:
            _instances[name] = _new_instance(name)
        return _instances[name]
    providers = _per_loop.get(loop)
    if providers is None:
        providers = _per_loop[loop] = _LoopProviders()
        _close_with_loop(providers)
    instance = providers.instances.get(name)
    if instance is None:
        instance = providers.instances[name] = _new_instance(name)
    return instance


def _close_with_loop(providers: _LoopProviders) -> None:
    """Have the running loop close PROVIDERS when it shuts down its async generators."""

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await _aclose_all(providers)

    generator = closer()
    step = generator.__anext__()  # registers the generator with the running loop
    with contextlib.suppress(StopIteration):
        step.send(None)  # runs it to its `yield` (nothing awaited on the way)
    providers.closer = generator  # the loop holds it weakly


async def _aclose_all(providers: _LoopProviders) -> None:
    instances = list(providers.instances.items())
    providers.instances.clear()
    for name, instance in instances:
        aclose = getattr(instance, "aclose", None)
        if aclose is None:
            continue
        try:
            await aclose()
        except Exception:
            logger.warning("provider '%s': closing its clients failed", name, exc_info=True)


async def close_providers() -> None:
    """Close the running loop's provider instances now (later use creates new ones)."""
    import asyncio

    providers = _per_loop.pop(asyncio.get_running_loop(), None)
    if providers is None:
        return
    await _aclose_all(providers)
    if providers.closer is not None:
        with contextlib.suppress(Exception):
            await providers.closer.aclose()
