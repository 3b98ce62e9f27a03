"""What the ensemble JSON Schema says about a document path: allowed keys, descriptions, enums.

The schema is the one the validator checks against, so completion and hover describe exactly
what validation accepts. Keys marked ignored or unsupported are not offered.
"""

from __future__ import annotations

from typing import Any

from llm_orc.schemas import load_schema
from llm_orc.validation.yaml_index import Path

_HIDDEN = ("x-llm-orc-ignored", "x-llm-orc-unsupported")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    reference = node.get("$ref")
    if not isinstance(reference, str) or not reference.startswith("#/"):
        return node
    found: Any = load_schema("ensemble")
    for part in reference[2:].split("/"):
        found = found[part]
    resolved: dict[str, Any] = found
    return resolved


def _branches(node: dict[str, Any]) -> list[dict[str, Any]]:
    """NODE and its anyOf / oneOf alternatives, references resolved."""
    node = _resolve(node)
    out = [node]
    for combinator in ("anyOf", "oneOf"):
        for branch in node.get(combinator, []):
            out.extend(_branches(branch))
    return out


def schema_nodes(path: Path) -> list[dict[str, Any]]:
    """The schema nodes that may describe the value at PATH (alternatives included)."""
    nodes = _branches(load_schema("ensemble"))
    for segment in path:
        following: list[dict[str, Any]] = []
        for node in nodes:
            if isinstance(segment, int):
                items = node.get("items")
                if isinstance(items, dict):
                    following.extend(_branches(items))
            else:
                child = node.get("properties", {}).get(segment)
                if isinstance(child, dict):
                    following.extend(_branches(child))
        nodes = following
    return nodes


def properties_at(container: Path) -> dict[str, dict[str, Any]]:
    """The keys the mapping at CONTAINER may have, in schema order, hidden ones left out."""
    found: dict[str, dict[str, Any]] = {}
    for node in schema_nodes(container):
        for name, child in node.get("properties", {}).items():
            if isinstance(child, dict) and not any(child.get(mark) for mark in _HIDDEN):
                found.setdefault(name, _resolve(child))
    return found


def description_of(path: Path) -> str | None:
    """The description of the key at PATH (its first alternative that has one)."""
    if not path or not isinstance(path[-1], str):
        return None
    parents = schema_nodes(path[:-1])
    for node in parents:
        child = node.get("properties", {}).get(path[-1])
        if isinstance(child, dict) and isinstance(child.get("description"), str):
            description: str = child["description"]
            return description
    return None


def enum_at(path: Path) -> list[Any]:
    """The allowed values at PATH when the schema lists them."""
    for node in schema_nodes(path):
        values = node.get("enum")
        if isinstance(values, list):
            return values
    return []


def is_list(path: Path) -> bool:
    return any(node.get("type") == "array" for node in schema_nodes(path))
