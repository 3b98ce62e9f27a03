"""An edited ensemble parsed again by re-reading only the agent the edit touched.

A keystroke changes one line of one agent; composing the other 499 again is most of the cost
of a validation. `parse_edit` finds the changed span (common prefix and suffix of the old and
new text); when it lies inside one item of the block sequence under `agents:`, that item's
lines are composed alone (at their own line numbers, same columns) and spliced into the
previous parse: data, path index and all (when the edit adds or removes lines, the source map
records how far the nodes after it moved: `LineShifts`; the previous parse is never changed).
Anything it cannot
show to be the same as a full parse (an alias anywhere, merge keys, `%` directives, line
breaks other than `\\n`, `---` or `...` in the item, a YAML problem anywhere, an item that is
not one mapping starting on its `- ` line, a span crossing an item's boundary) takes the full
path (`parse_yaml`). Tags and anchors inside the item are fine: with no directive and no
alias, they mean what they mean alone.

The splice is exact because the text before the item is unchanged (the scanner reaches the
item's `- ` line in the same state), the item composes alone without error (so nothing it
opens runs past its last line) and every line after it is unchanged and starts where a new
item or a less indented key did before.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import accumulate
from operator import itemgetter
from typing import Any

from yaml.error import YAMLError
from yaml.nodes import MappingNode, Node, SequenceNode

from llm_orc.validation.yaml_builder import Builder, ExpansionRefused, Located, Path
from llm_orc.validation.yaml_index import (
    LineShifts,
    ParsedYaml,
    SourceMap,
    loader_for,
    parse_yaml,
)

_AGENTS = "agents"
_UNSAFE = ("<<", "\r", "\x85", "\u2028", "\u2029", "\v", "\f", "\x1c", "\x1d", "\x1e")
"""Merge keys (they count against the document's expansion limit) and characters some count as
line breaks and others not: a text holding any of them is parsed whole."""
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)", re.MULTILINE)
"""`---` or `...` starting a line: the document could end (or another begin) there."""


@dataclass(frozen=True, slots=True)
class SpliceState:
    """What `parse_edit` keeps of a parse to reuse for the next text."""

    text: str
    parsed: ParsedYaml
    entries: dict[Path, Located]
    indent: int
    """The column of the `-` of every item of `agents`."""
    starts: list[int]
    """The offset in TEXT where each item's line starts."""
    end: int
    """The offset where the lines of the last item end (the next key's line, or the end)."""
    root: MappingNode
    """The document's node (a block mapping)."""
    sequence: SequenceNode
    """The node of `agents` (a block sequence of mappings)."""
    shifts: LineShifts
    """How many lines the nodes of each item (and the keys after `agents`) have moved since
    they were composed: their marks are that far off."""
    infinite: frozenset[int] = frozenset()
    """The items holding a NaN or an infinity."""
    valid_agents: frozenset[int] = frozenset()
    """id() of the agent mappings of the data known to pass the schema's agent check (kept
    for the next edit's schema check, which skips them: they are unchanged and alive)."""

    def item_span(self, index: int) -> tuple[int, int]:
        """The offsets of item INDEX's lines: from its `- ` line to the next item's."""
        starts = self.starts
        return starts[index], starts[index + 1] if index + 1 < len(starts) else self.end


def parse_edit(text: str, previous: SpliceState | None) -> tuple[ParsedYaml, SpliceState | None]:
    """TEXT parsed as `parse_yaml` parses it, reusing PREVIOUS (the state of the text before
    the edit) when the edit lies inside one agent; with the state to pass for the next edit.

    When TEXT itself cannot be reused (a syntax error while a key is being typed, a duplicate
    key), the state passed on is PREVIOUS: a state stands for its own text, so the next edit
    is spliced against it if that text and the next differ inside one agent."""
    if previous is not None:
        spliced = _splice(text, previous)
        if spliced is not None:
            return spliced.parsed, spliced
    parsed = parse_yaml(text)
    state = _state(text, parsed)
    return parsed, previous if state is None else state


def _state(text: str, parsed: ParsedYaml) -> SpliceState | None:
    """The state for a full parse, or None when its text has anything `_splice` avoids."""
    if not parsed.has_document or parsed.diagnostics or not parsed.finite:
        return None
    if _has_unsafe(text) or _has_directive(text) or loader_for(text) is not loader_for(""):
        return None
    source = parsed.source
    entries = source.entries()
    if _has_aliases(entries):
        return None
    if not source.has((_AGENTS,)):
        return None
    root = source.entry(())[1]
    key, sequence = source.entry((_AGENTS,))
    if not isinstance(root, MappingNode) or root.flow_style or key is None:
        return None
    if not isinstance(sequence, SequenceNode) or sequence.flow_style or not sequence.value:
        return None
    indent = sequence.start_mark.column
    line_starts = _line_starts(text)
    starts: list[int] = []
    for item in sequence.value:
        if not _item_at(item, indent, text, line_starts):
            return None
        start = line_starts[item.start_mark.line]
        if starts and start <= starts[-1]:
            return None
        starts.append(start)
    keys: list[Any] = [pair[0] for pair in root.value]
    later = [node.start_mark.line for node in keys if node.start_mark.line > key.start_mark.line]
    end = line_starts[min(later)] if later else len(text)
    tail = frozenset(node.value for node in keys if node.start_mark.line > key.start_mark.line)
    shifts = LineShifts(_AGENTS, (0,) * len(starts), 0, tail)
    return SpliceState(text, parsed, entries, indent, starts, end, root, sequence, shifts)


def _splice(text: str, state: SpliceState) -> SpliceState | None:
    """The state of TEXT with the one item the edit touched composed again, or None."""
    old = state.text
    shortest = min(len(old), len(text))
    start = _common_prefix(old, text, limit=shortest)
    if start == len(old) == len(text):
        return state
    old_end = len(old) - _common_suffix(old, text, limit=shortest - start)
    spliced = _splice_span(text, state, start, old_end)
    if spliced is not None:
        return spliced
    # The same edit placed as early as it can be: Enter at the end of an agent's last line
    # reads as a line break inserted at the start of the next agent's line, the other way.
    suffix = _common_suffix(old, text, limit=shortest)
    early = _common_prefix(old, text, limit=shortest - suffix)
    if early == start:
        return None
    return _splice_span(text, state, early, len(old) - suffix)


def _splice_span(text: str, state: SpliceState, start: int, old_end: int) -> SpliceState | None:
    """The state of TEXT, which is the previous text with its characters from START to
    OLD_END replaced, when that span lies inside one item; None otherwise."""
    old = state.text
    index = bisect_right(state.starts, start) - 1
    if index < 0:
        return None
    item_start, item_end = state.item_span(index)
    if old_end > item_end or start < item_start:
        return None
    growth = len(text) - len(old)
    region = text[item_start : item_end + growth]
    if _has_unsafe(region) or "\ufeff" in region or _DOCUMENT_MARKER.search(region):
        return None
    if not region.endswith("\n") and item_end < len(old):
        return None
    line = old.count("\n", 0, item_start)
    built = _compose_item(region, line, state.indent, (_AGENTS, index))
    if built is None:
        return None
    item, entries, finite = built
    lines = region.count("\n") - old.count("\n", item_start, item_end)
    return _spliced(text, state, index, item, entries, finite, lines, growth)


def _compose_item(
    region: str, line: int, indent: int, path: Path
) -> tuple[tuple[Any, Node], dict[Path, Located], bool] | None:
    """REGION (one item's lines, starting at LINE) composed alone: its data, index and
    finiteness, or None unless it is one mapping item at INDENT without any YAML problem."""
    padded = "\n" * line + region
    loader_class = loader_for(padded)
    if loader_class is not loader_for(""):
        return None
    loader = None
    try:
        loader = loader_class(padded)  # libyaml encodes the text here: a lone surrogate raises
        node = loader.get_single_node()
        if not isinstance(node, SequenceNode) or node.flow_style or len(node.value) != 1:
            return None
        item = node.value[0]
        if node.start_mark.line != line or node.start_mark.column != indent:
            return None
        if not isinstance(item, MappingNode) or item.start_mark.line != line:
            return None
        if item.start_mark.column != indent + 2:
            return None
        entries: dict[Path, Located] = {}
        builder = Builder(loader, entries, set())
        data = builder.build(item, path, None)
    except (YAMLError, RecursionError, UnicodeError, ValueError, ExpansionRefused):
        return None
    finally:
        if loader is not None:
            loader.dispose()
    if builder.problems or builder.duplicates or builder.non_text_keys or _has_aliases(entries):
        return None
    return (data, item), entries, builder.finite


def _spliced(
    text: str,
    state: SpliceState,
    index: int,
    item: tuple[Any, Node],
    item_entries: dict[Path, Located],
    finite: bool,
    lines: int,
    growth: int,
) -> SpliceState:
    """STATE with item INDEX replaced (its data and node in ITEM); the text after it moved by
    LINES lines and GROWTH characters."""
    item_data, item_node = item
    old_data = state.parsed.data
    data = dict(old_data)
    agents = list(old_data[_AGENTS])
    old_item = agents[index]
    agents[index] = item_data
    data[_AGENTS] = agents
    entries = dict(state.entries)  # the previous state's index stays as it was
    for path in _paths(old_item, (_AGENTS, index)):
        entries.pop(path, None)  # a tagged collection's members (`!!omap`) are not indexed
    entries.update(item_entries)
    root, sequence = state.root, state.sequence
    agents_key = state.entries[(_AGENTS,)][0]
    nodes: list[Node] = list(sequence.value)
    nodes[index] = item_node
    new_sequence = SequenceNode(
        sequence.tag, nodes, sequence.start_mark, sequence.end_mark, sequence.flow_style
    )
    pairs = [(key, new_sequence if value is sequence else value) for key, value in root.value]
    new_root = MappingNode(root.tag, pairs, root.start_mark, root.end_mark, root.flow_style)
    entries[()] = (None, new_root)
    entries[(_AGENTS,)] = (agents_key, new_sequence)
    shifts = state.shifts
    moved = list(shifts.items)
    moved[index] = 0  # composed on its current lines
    if lines:
        moved[index + 1 :] = [shift + lines for shift in moved[index + 1 :]]
    shifts = replace(shifts, items=tuple(moved), tail=shifts.tail + lines)
    infinite = state.infinite - {index} if finite else state.infinite | {index}
    source = SourceMap(entries, text, shifts=shifts if any(moved) or shifts.tail else None)
    parsed = ParsedYaml(data, source, [], has_document=True, finite=not infinite)
    starts = state.starts
    if growth:
        starts = [*starts[: index + 1], *(at + growth for at in starts[index + 1 :])]
    end = state.end + growth
    return SpliceState(
        text,
        parsed,
        entries,
        state.indent,
        starts,
        end,
        new_root,
        new_sequence,
        shifts,
        infinite,
        state.valid_agents,
    )


def _paths(value: Any, path: Path) -> Iterator[Path]:
    """Every path the index may hold for VALUE at PATH (no aliases: each value written once)."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for position, child in enumerate(value):
            yield from _paths(child, (*path, position))


def _item_at(item: Any, indent: int, text: str, line_starts: list[int]) -> bool:
    """Whether ITEM is a mapping written on its own `- ` line at INDENT."""
    if not isinstance(item, MappingNode):
        return False
    mark = item.start_mark
    if mark.column != indent + 2:
        return False
    begin = line_starts[mark.line]
    return text.startswith(" " * indent + "- ", begin)


def _has_unsafe(text: str) -> bool:
    return any(part in text for part in _UNSAFE)


def _has_directive(text: str) -> bool:
    """Whether a line starts with `%`: a `%TAG` directive would give the item's tags another
    meaning than they have alone."""
    return text.startswith("%") or "\n%" in text


def _has_aliases(entries: dict[Path, Located]) -> bool:
    """Whether a node is indexed at two paths: an alias (of a scalar or a collection). With
    none in the document, no item refers to another (an anchor alone changes nothing)."""
    nodes = set(map(id, map(itemgetter(1), entries.values())))
    return len(nodes) != len(entries)


def _line_starts(text: str) -> list[int]:
    """Where each line of TEXT starts (its only line breaks are `\\n`: see `_UNSAFE`)."""
    return list(accumulate(map(len, text.splitlines(keepends=True)), initial=0))


def _common_prefix(a: str, b: str, *, limit: int) -> int:
    """The length of the longest common prefix of A and B, at most LIMIT (a binary search of
    slice compares: each in C)."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, *, limit: int) -> int:
    """The length of the longest common suffix of A and B, at most LIMIT."""
    low, high = 0, limit
    len_a, len_b = len(a), len(b)
    while low < high:
        middle = (low + high + 1) // 2
        if a[len_a - middle : len_a - low] == b[len_b - middle : len_b - low]:
            low = middle
        else:
            high = middle - 1
    return low
