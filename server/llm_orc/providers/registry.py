"""The provider registry: names to providers, built-ins plus `llm_orc.providers` entry points.

Provider modules are imported only when a provider is used, so that `llm-orc --help` and
`llm-orc validate` never pay for llama.cpp or an SDK.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from llm_orc.providers.base import Provider, ProviderUnavailableError

ENTRY_POINT_GROUP = "llm_orc.providers"

_BUILTIN: dict[str, str] = {
    "local": "llm_orc.providers.local:LocalProvider",
}

_registered: dict[str, type[Provider] | Provider] = {}
_instances: dict[str, Provider] = {}


def register_provider(name: str, provider: type[Provider] | Provider) -> None:
    """Register a provider class (instantiated on first use) or a ready instance under NAME."""
    _registered[name] = provider
    _instances.pop(name, None)


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


def get_provider(name: str) -> Provider:
    """The process-wide instance of provider NAME."""
    if name in _instances:
        return _instances[name]
    entry = _registered.get(name)
    if entry is None:
        target = _BUILTIN.get(name) or _plugin_targets().get(name)
        if target is None:
            raise ProviderUnavailableError(f"unknown provider '{name}'")
        entry = _import_target(target)
    instance = entry() if isinstance(entry, type) else entry
    _instances[name] = instance
    return instance
