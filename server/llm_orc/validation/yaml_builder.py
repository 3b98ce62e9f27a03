"""Python data from composed YAML nodes, indexed by path, in bounded work on any input.

PyYAML's safe constructors and merge-key semantics, with three guards a hostile document needs:

- a value that cannot be constructed (`!!int abc`, `!!bool name`, an unknown tag, a 5,000-digit
  integer, the date 2024-13-45) is recorded as a problem on its node, never raised;
- aliases and merge keys may add at most `EXPANSION_LIMIT` values beyond those written (an
  alias-expansion "billion laughs" is refused on the alias that crosses it), so every check that
  walks the data afterwards walks at most the text's size plus that limit;
- mapping keys that are not text (`1:`, `yes:`, `null:`) are recorded, since no schema here names
  such keys and the typed models cannot hold them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]
"""Where a value sits in a document: mapping keys and list indexes from the root."""

Located = tuple[Node | None, Node]
"""The key node (None for list items and the root) and the value node written at one path."""

EXPANSION_LIMIT = 100_000
"""How many values aliases and merge keys may add to a document beyond the ones written."""

STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
MERGE = "tag:yaml.org,2002:merge"
_STANDARD = "tag:yaml.org,2002:"
_TEXT_KEYS = frozenset({STR, "tag:yaml.org,2002:value"})  # PyYAML reads a `=` key as text
_SCALARS: dict[str, Callable[[Any, ScalarNode], Any]] = {
    f"{_STANDARD}{name}": getattr(SafeConstructor, f"construct_yaml_{name}")
    for name in ("null", "bool", "int", "float", "timestamp")
}
_WANTED = {
    "bool": "true or false",
    "int": "an integer",
    "float": "a number",
    "timestamp": "a date or time",
    "binary": "base64 data",
    "null": "null",
    "set": "a set",
    "omap": "an ordered mapping",
    "pairs": "a list of pairs",
    "str": "text",
    "seq": "a list",
    "map": "a mapping",
}
# What PyYAML's constructors raise on values they cannot construct (besides ConstructorError):
# int('abc'), bool_values['name'], a timestamp regexp that did not match, ''[0], ...
_CONSTRUCT_ERRORS = (yaml.YAMLError, ValueError, LookupError, AttributeError, TypeError)
_SHOWN = 40


class ExpansionRefused(Exception):
    """Aliases or merge keys expand the document past `EXPANSION_LIMIT` values."""

    def __init__(self, path: Path, node: Node | None) -> None:
        super().__init__(f"expansion past {EXPANSION_LIMIT} values at {path}")
        self.path = path
        """Where the alias that crossed the limit is used."""
        self.node = node
        """The node to report on when there is a better one than PATH's key (a `<<` key)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A value that could not be constructed, with what to say about it."""

    node: Node
    code: str
    message: str


class Builder:
    """Constructs Python data from composed nodes and fills the path index on the way.

    Written for speed (the language server re-validates on every keystroke): plain strings are
    taken as they are, other scalars go straight to PyYAML's safe scalar constructors. Aliases
    give the same object, as PyYAML builds them, and their paths are indexed once.
    """

    def __init__(
        self,
        loader: yaml.SafeLoader | yaml.CSafeLoader,
        entries: dict[Path, Located],
        aliases: set[Path],
    ) -> None:
        self._loader = loader
        self._entries = entries
        self._aliases = aliases
        self._built: dict[int, Any] = {}
        self._open: set[int] = set()
        self._sizes: dict[int, int] = {}
        """id() of each collection node built -> how many values it holds, aliases expanded."""
        self._merged: dict[int, int] = {}
        self._added = 0
        self.duplicates: list[tuple[Node, Node]] = []
        self.problems: dict[int, Problem] = {}
        """Values that could not be constructed, by id() of their node (each reported once)."""
        self.non_text_keys: dict[int, tuple[Node, Any]] = {}
        """Keys that are not text, by id() of their node, with what they were read as."""
        self.finite = True
        """False once a value may be a NaN or an infinity (so the not-json walk can be skipped
        when no value is)."""

    def build(self, node: Node, path: Path, key: Node | None) -> Any:
        self._entries[path] = (key, node)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        ident = id(node)
        if ident in self._built:  # an alias: the same object, as PyYAML builds it; indexed once
            if ident in self._open:
                raise _recursive(node)
            self._expand(self._sizes[ident], path)
            self._aliases.add(path)
            return self._built[ident]
        if isinstance(node, SequenceNode) and node.tag == SEQ:
            items: list[Any] = []
            self._built[ident] = items
            self._open.add(ident)
            size = 1
            sizes = self._sizes
            for index, child in enumerate(node.value):
                items.append(self.build(child, (*path, index), None))
                size += sizes.get(id(child), 1)
            self._open.discard(ident)
            sizes[ident] = size
            return items
        if isinstance(node, MappingNode) and node.tag == MAP:
            return self._build_mapping(node, path)
        return self._tagged(node, path)

    def _scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag == STR:
            return node.value
        constructor = _SCALARS.get(tag)
        try:
            if constructor is None:  # !!binary, unknown tags
                return self._loader.construct_object(node, True)
            value = constructor(self._loader, node)
        except _CONSTRUCT_ERRORS as exc:
            self._problem(node, exc)
            return node.value
        if isinstance(value, float) and not math.isfinite(value):
            self.finite = False
        return value

    def _tagged(self, node: Node, path: Path) -> Any:
        """A collection with another tag (!!set, !!omap, unknown ones), built by PyYAML."""
        ident = id(node)
        self._sizes[ident] = self._measure(node, path)
        self.finite = False  # PyYAML constructs its values: they are not looked at here
        try:
            value = self._loader.construct_object(node, True)
        except _CONSTRUCT_ERRORS as exc:
            self._problem(node, exc)
            value = None
        self._built[ident] = value
        return value

    def _measure(self, node: Node, path: Path) -> int:
        """How many values NODE holds, aliases expanded; a repeat counts against the limit."""
        ident = id(node)
        known = self._sizes.get(ident)
        if known is not None:
            self._expand(known, path)
            return known
        if isinstance(node, ScalarNode):
            return 1
        if ident in self._open:
            raise _recursive(node)
        self._open.add(ident)
        children: list[Node] = (
            [part for pair in node.value for part in pair]
            if isinstance(node, MappingNode)
            else list(node.value)
        )
        size = 1 + sum(self._measure(child, path) for child in children)
        self._open.discard(ident)
        self._sizes[ident] = size
        return size

    def _build_mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        ident = id(node)
        self._built[ident] = result
        self._open.add(ident)
        pairs: list[tuple[Node, Node]] = node.value
        merged = 0
        tags = [key_node.tag for key_node, _ in pairs]
        if MERGE in tags:
            explicit = len(tags) - tags.count(MERGE)
            flattened = self._merged_pairs(node)
            merge_key = pairs[tags.index(MERGE)][0]
            self._expand(flattened - explicit, path, merge_key)
            self._loader.flatten_mapping(node)  # PyYAML's `<<`: merged pairs first, then explicit
            pairs = node.value
            merged = len(pairs) - explicit
        seen: dict[Any, Node] = {}
        entries = self._entries
        sizes = self._sizes
        size = 1
        for position, (key_node, value_node) in enumerate(pairs):
            if isinstance(key_node, ScalarNode) and key_node.tag in _TEXT_KEYS:
                key: Any = key_node.value
            else:
                key = self._key(key_node, node)
            if position >= merged:  # explicit keys may override merged ones, not each other
                first = seen.setdefault(key, key_node)
                if first is not key_node:
                    self.duplicates.append((first, key_node))
            # Later pairs overwrite earlier ones, in the data (as PyYAML does) and in the index.
            child = (*path, key if isinstance(key, str | int) else str(key))
            if isinstance(value_node, ScalarNode):  # build() inlined for the common case
                entries[child] = (key_node, value_node)
                result[key] = (
                    value_node.value if value_node.tag == STR else self._scalar(value_node)
                )
                size += 1
            else:
                result[key] = self.build(value_node, child, key_node)
                size += sizes.get(id(value_node), 1)
        self._open.discard(ident)
        sizes[ident] = size
        return result

    def _merged_pairs(self, node: MappingNode) -> int:
        """How many pairs NODE has once its `<<` merges are flattened (PyYAML keeps repeats)."""
        ident = id(node)
        known = self._merged.get(ident)
        if known is not None:
            return known
        count = 0
        self._merged[ident] = 0  # a merge cycle counts as nothing here; PyYAML refuses it
        for key_node, value_node in node.value:
            if key_node.tag != MERGE:
                count += 1
            elif isinstance(value_node, MappingNode):
                if value_node is node:
                    raise _recursive(node)
                count += self._merged_pairs(value_node)
            elif isinstance(value_node, SequenceNode):
                count += sum(
                    self._merged_pairs(item)
                    for item in value_node.value
                    if isinstance(item, MappingNode) and item is not node
                )
        self._merged[ident] = count
        return count

    def _key(self, key_node: Node, mapping: MappingNode) -> Any:
        try:
            key = self._loader.construct_object(key_node, True)
        except _CONSTRUCT_ERRORS as exc:
            self._problem(key_node, exc)
            return key_node.value if isinstance(key_node, ScalarNode) else str(id(key_node))
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                "while constructing a mapping",
                mapping.start_mark,
                "found unhashable key",
                key_node.start_mark,
            ) from None
        if not isinstance(key, str):
            self.non_text_keys.setdefault(id(key_node), (key_node, key))
        return key

    def _expand(self, count: int, path: Path, node: Node | None = None) -> None:
        self._added += count
        if self._added > EXPANSION_LIMIT:
            raise ExpansionRefused(path, node)

    def _problem(self, node: Node, exc: Exception) -> None:
        if id(node) not in self.problems:
            code, message = self._describe(node, exc)
            self.problems[id(node)] = Problem(node, code, message)

    def _describe(self, node: Node, exc: Exception) -> tuple[str, str]:
        """The code and message for a value PyYAML could not construct."""
        tag = node.tag
        name = tag.removeprefix(_STANDARD)
        shown = f"!!{name}" if tag.startswith(_STANDARD) else tag
        known = name in _WANTED and tag.startswith(_STANDARD)
        if not known:
            return "yaml-tag", (
                f"unknown tag '{shown}': llm-orc reads only YAML's standard types "
                "(remove the tag, or quote the value to make it text)"
            )
        if isinstance(exc, ConstructorError):
            return "yaml-value", f"cannot read this value as {_WANTED[name]}: {exc.problem}"
        if not isinstance(node, ScalarNode):
            return "yaml-value", f"cannot read this value as {_WANTED[name]}"
        value = node.value if len(node.value) <= _SHOWN else node.value[: _SHOWN - 1] + "…"
        if "Exceeds the limit" in str(exc):
            return "yaml-value", (
                f"an integer of {len(node.value)} digits is too long to read "
                "(quote it to make it text)"
            )
        # Plain text that YAML reads as this type without a tag (a date, a long number):
        resolved = self._loader.resolve(ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
        if not node.style and resolved == tag:  # plain: libyaml says '', PyYAML None
            fix = f'quote it to make it text: "{value}"'
        else:
            fix = f"fix the value or remove the tag '{shown}'"
        return "yaml-value", f"'{value}' is not {_WANTED[name]} ({fix})"


def _recursive(node: Node) -> ConstructorError:
    return ConstructorError(
        None, None, "an alias refers to a node that contains it", node.start_mark
    )
