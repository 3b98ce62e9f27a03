"""Which provider's `options` a document path is, and what that provider's options schema says.

An `options:` mapping belongs to an ensemble agent (`agents[N].options`: the agent's own
`provider`, else its profile's, as the validator decides) or to a model profile (`options` of a
single-profile file, `model_profiles.NAME.options` of a config file: the profile's `provider`).
The schema is the provider's published `options_schema`, read through the registry, so
completion and hover describe what the validator checks. An unknown provider, or one without a
schema, describes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from llm_orc.config.profiles import ModelProfile
from llm_orc.lsp.documents import DocumentKind
from llm_orc.providers.registry import provider_options_schema
from llm_orc.validation.yaml_index import Path

ValueAt = Callable[[Path], Any]
"""The scalar written at a document path (None when nothing is)."""


@dataclass(frozen=True, slots=True)
class OptionsOwner:
    """An `options` mapping's provider and the options its schema declares."""

    provider: str
    properties: dict[str, dict[str, Any]]


def owner_path(kind: DocumentKind, container: Path) -> Path | None:
    """The agent or profile whose `options` mapping is CONTAINER (None if it is not one)."""
    if not container or container[-1] != "options":
        return None
    owner = container[:-1]
    if kind is DocumentKind.ENSEMBLE:
        is_agent = len(owner) == 2 and owner[0] == "agents" and isinstance(owner[1], int)
        return owner if is_agent else None
    if kind is DocumentKind.PROFILES:
        is_profile = owner == () or (len(owner) == 2 and owner[0] == "model_profiles")
        return owner if is_profile else None
    return None


def owner_provider(
    kind: DocumentKind, owner: Path, value_at: ValueAt, profiles: Mapping[str, ModelProfile]
) -> str | None:
    """The provider the agent or profile at OWNER runs on, as written or by its profile."""
    provider = value_at((*owner, "provider"))
    if isinstance(provider, str) and provider:
        return provider
    if kind is not DocumentKind.ENSEMBLE:
        return None
    name = value_at((*owner, "model_profile"))
    profile = profiles.get(name if isinstance(name, str) and name else "default")
    return profile.provider if profile is not None else None


def options_owner(
    kind: DocumentKind,
    container: Path,
    value_at: ValueAt,
    profiles: Mapping[str, ModelProfile],
) -> OptionsOwner | None:
    """The provider and declared options of the `options` mapping at CONTAINER, when its
    provider publishes an options schema with properties."""
    owner = owner_path(kind, container)
    if owner is None:
        return None
    provider = owner_provider(kind, owner, value_at, profiles)
    if provider is None:
        return None
    schema = provider_options_schema(provider)
    known = schema.get("properties") if schema is not None else None
    if not isinstance(known, dict):
        return None
    properties = {
        name: prop
        for name, prop in known.items()
        if isinstance(name, str) and isinstance(prop, dict)
    }
    return OptionsOwner(provider, properties) if properties else None


# -- one option's schema --------------------------------------------------------------------


def _branches(prop: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """PROP and its anyOf / oneOf alternatives (one level: option schemas are small)."""
    out = [prop]
    for combinator in ("anyOf", "oneOf"):
        for branch in prop.get(combinator, []):
            if isinstance(branch, dict):
                out.append(branch)
    return out


def option_types(prop: Mapping[str, Any]) -> list[str]:
    """The JSON types the option accepts, in the schema's order."""
    found: list[str] = []
    for branch in _branches(prop):
        declared = branch.get("type")
        for name in declared if isinstance(declared, list) else [declared]:
            if isinstance(name, str) and name not in found:
                found.append(name)
    return found


def option_values(prop: Mapping[str, Any]) -> list[Any]:
    """The values worth offering: the enum (or const) values, else true/false for a boolean."""
    values: list[Any] = []
    for branch in _branches(prop):
        listed = branch.get("enum")
        if isinstance(listed, list):
            values.extend(value for value in listed if value not in values)
        if "const" in branch and branch["const"] not in values:
            values.append(branch["const"])
    if not values and "boolean" in option_types(prop):
        values = [True, False]
    return values


def as_yaml(value: Any) -> str:
    """VALUE as it is written in YAML (true, 3, null; strings as they are)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def type_summary(prop: Mapping[str, Any]) -> str:
    """One line: the option's types and bounds (`number, 0 to 1`)."""
    types = option_types(prop) or ["any"]
    text = " or ".join(types)
    low, high = prop.get("minimum"), prop.get("maximum")
    if low is not None and high is not None:
        text += f", {as_yaml(low)} to {as_yaml(high)}"
    elif low is not None:
        text += f", at least {as_yaml(low)}"
    elif high is not None:
        text += f", at most {as_yaml(high)}"
    return text
