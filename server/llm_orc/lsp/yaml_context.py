"""What is where in an ensemble document: the editing features' shared view of one version.

`state_of(document)` parses a document version once (a small LRU keyed by uri and version) and
offers, lazily:

- `index`: every key and list item written, with its ranges and value; from the parsed document
  when the YAML parses, else from the tolerant line scanner (`yaml_outline`), so hover, symbols
  and navigation keep working while the user types;
- `agents`: the agents with their name, dependencies and extent;
- `names`: every place an agent name is written (definitions, depends_on items, `{deps.NAME}`).

`cursor_context(state, position)` says what is being typed at a position (a key of which
mapping, the value of which key, an item of which list), always from the line scanner: keys are
typed into text that does not parse yet. Positions are code points; `conversions` converts
the client's.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pygls.workspace import TextDocument
from yaml.resolver import Resolver

from llm_orc.lsp.yaml_outline import (
    FlowState,
    Outline,
    OutlineEntry,
    Scanner,
    position_in,
    scan,
    split_lines,
)
from llm_orc.validation.diagnostics import Position, Range
from llm_orc.validation.references import PLACEHOLDER
from llm_orc.validation.yaml_index import ParsedYaml, Path, SourceMap, parse_yaml

_LINE_BREAK = re.compile(r"\r\n|\n|\r")

_CACHE_SIZE = 8
_SAFE_PLAIN = re.compile(r"[\w./][\w./ -]*(?<! )")
_PLAIN_TYPED = re.compile(r"[^\s:#,\[\]{}'\"|>&*!%@`]?[^\s#,\[\]{}]*")
_WORD_AFTER = re.compile(r"[^\s:#,\[\]{}'\"]*")
_VALUE_AFTER = re.compile(r"[^\s#,\[\]{}'\"]*")


def as_yaml_scalar(text: str) -> str:
    """TEXT written as a YAML string that reads back as itself, in block and flow context."""
    if _SAFE_PLAIN.fullmatch(text) and _reads_as_text(text):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _reads_as_text(text: str) -> bool:
    """A plain scalar TEXT is read as a string (not as a number, boolean, null or date)."""
    implicit = Resolver.yaml_implicit_resolvers.get(text[:1], [])
    return not any(pattern.match(text) for _, pattern in implicit)


# -- one document version -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One key or list item of the document."""

    path: Path
    start: Position
    end: Position
    """The end of everything written for it (nested lines included)."""
    key_range: Range | None
    """The key (None for list items)."""
    value_range: Range | None
    """The scalar value (None for collections and empty values)."""
    value: Any
    """The value: the parsed data, or (from the line scanner) the scalar text or None."""


@dataclass(frozen=True, slots=True)
class AgentInfo:
    index: int
    name: str | None
    name_range: Range | None
    start: Position
    end: Position
    deps: list[tuple[str, Range]]
    body: dict[str, Any]
    """Its scalar settings by key (from the scanner only scalars written inline)."""


@dataclass(frozen=True, slots=True)
class NameOccurrence:
    """An agent name as written: its `name`, a depends_on item, or a `{deps.NAME}`."""

    name: str
    range: Range
    """The scalar as written (quotes included); the NAME part for placeholders."""
    text_range: Range
    """Just the name's characters."""
    kind: Literal["definition", "dependency", "placeholder"]
    agent: int
    quote: str = ""
    """For placeholders: the quote style of the prompt_template (`"`, `'` or none)."""


class DocumentState:
    """One version of a document's text, and what is derived from it (each computed once)."""

    def __init__(self, uri: str, version: int | None, text: str) -> None:
        self.uri = uri
        self.version = version
        self.text = text

    @cached_property
    def lines(self) -> list[str]:
        return split_lines(self.text)

    @cached_property
    def parsed(self) -> ParsedYaml:
        return parse_yaml(self.text)

    @property
    def parses(self) -> bool:
        return self.parsed.has_document and not any(
            d.code == "yaml-syntax" for d in self.parsed.diagnostics
        )

    @cached_property
    def outline(self) -> Outline:
        return scan(self.lines)

    @cached_property
    def index(self) -> list[IndexEntry]:
        """From the parse when the text parses, else from the line scanner."""
        if self.parses:
            try:
                return _parsed_index(self.parsed.data, self.parsed.source)
            except RecursionError:  # nested deeper than Python recurses: read it line by line
                pass
        return [self._outline_entry(entry) for entry in self.outline.entries]

    def _outline_entry(self, entry: OutlineEntry) -> IndexEntry:
        last = entry.last_line if 0 <= entry.last_line < len(self.lines) else entry.line
        end = Position(last, len(self.lines[last].rstrip()))
        if entry.value_range is not None and entry.value_range.end > end:
            end = entry.value_range.end
        start = Position(entry.line, entry.column)
        return IndexEntry(entry.path, start, end, entry.key_range, entry.value_range, entry.value)

    @cached_property
    def by_path(self) -> dict[Path, IndexEntry]:
        found: dict[Path, IndexEntry] = {}
        for entry in self.index:
            found.setdefault(entry.path, entry)
        return found

    @cached_property
    def agents(self) -> list[AgentInfo]:
        return _agents(self.index, self.by_path)

    @cached_property
    def names(self) -> list[NameOccurrence]:
        return _name_occurrences(self)

    # -- text access --------------------------------------------------------------------------

    @cached_property
    def _line_starts(self) -> list[int]:
        """Where each line starts, with lines ended as `split_lines` ends them (only at \\n,
        \\r\\n or \\r, as the editor counts), and the text's end after an unended last line."""
        starts = [0] + [match.end() for match in _LINE_BREAK.finditer(self.text)]
        if starts[-1] != len(self.text):
            starts.append(len(self.text))
        return starts

    def offset(self, position: Position) -> int:
        """The code-point offset of POSITION in the text (clamped to the text)."""
        starts = self._line_starts
        if position.line >= len(starts) - 1:
            return len(self.text)
        line_end = starts[position.line] + len(self.lines[position.line])
        return min(starts[position.line] + position.column, line_end)

    def edited(self, edits: list[tuple[Range, str]]) -> str:
        """The text with EDITS (non-overlapping) applied."""
        text = self.text
        spans = sorted(((self.offset(r.start), self.offset(r.end), new) for r, new in edits))
        parts: list[str] = []
        done = 0
        for begin, end, new in spans:
            parts.append(text[done:begin])
            parts.append(new)
            done = end
        parts.append(text[done:])
        return "".join(parts)

    def text_in(self, range_: Range) -> str:
        """The text between two code-point positions."""
        lines = self.lines
        start, end = range_.start, range_.end
        if start.line >= len(lines):
            return ""
        if start.line == end.line:
            return lines[start.line][start.column : end.column]
        parts = [lines[start.line][start.column :]]
        parts.extend(lines[start.line + 1 : end.line])
        if end.line < len(lines):
            parts.append(lines[end.line][: end.column])
        return "\n".join(parts)

    def entry_at(self, at: Position) -> tuple[IndexEntry, Literal["key", "value"]] | None:
        """The key or scalar value under AT (the innermost one)."""
        best: tuple[IndexEntry, Literal["key", "value"]] | None = None
        for entry in self.index:
            if entry.key_range is not None and position_in(entry.key_range, at):
                part: Literal["key", "value"] = "key"
            elif entry.value_range is not None and position_in(entry.value_range, at):
                part = "value"
            else:
                continue
            if best is None or len(entry.path) >= len(best[0].path):
                best = (entry, part)
        return best

    def name_at(self, at: Position) -> NameOccurrence | None:
        """The agent name written at AT, if any."""
        for occurrence in self.names:
            if position_in(occurrence.range, at):
                return occurrence
        return None


_states: OrderedDict[str, DocumentState] = OrderedDict()
"""The newest state of each recently used document. Older versions are dropped at once: a
500-agent document's parsed state is megabytes, and keeping several made every garbage
collection (and so every keystroke) slower."""


def state_of(document: TextDocument) -> DocumentState:
    """The state of DOCUMENT's current version (computed once per uri and version)."""
    return state_for(document.uri, document.version, document.source)


def state_for(uri: str, version: int | None, text: str) -> DocumentState:
    state = _states.get(uri)
    if state is not None and state.version == version and state.text == text:
        _states.move_to_end(uri)
        return state
    state = DocumentState(uri, version, text)
    _states[uri] = state
    _states.move_to_end(uri)
    while len(_states) > _CACHE_SIZE:
        _states.popitem(last=False)
    return state


# -- the index from a parsed document -------------------------------------------------------


def _parsed_index(data: Any, source: SourceMap) -> list[IndexEntry]:
    out: list[IndexEntry] = []

    def walk(value: Any, path: Path, is_key: bool) -> Position | None:
        """Index VALUE at PATH (parents before children); the end of what is written for it."""
        if path and not source.has(path):
            return None  # an alias (indexed once, where it is defined)
        slot = len(out)
        children: list[tuple[Any, Path, bool]] = []
        if isinstance(value, dict):
            children = [
                (child, (*path, key if isinstance(key, str | int) else str(key)), True)
                for key, child in value.items()
            ]
        elif isinstance(value, list):
            children = [(child, (*path, number), False) for number, child in enumerate(value)]
        ends = [end for end in (walk(*child) for child in children) if end is not None]
        end = max(ends, default=None)
        if not path:
            return end
        key_range = source.key_range(path) if is_key else None
        scalar = not isinstance(value, dict | list) and value is not None
        value_range = source.value_range(path) if scalar else None
        own = value_range or key_range or source.key_range(path)
        start = (key_range or own).start
        stop = own.end if end is None else max(own.end, end)
        out.insert(slot, IndexEntry(path, start, stop, key_range, value_range, value))
        return stop

    walk(data, (), False)
    return out


# -- agents and their names -----------------------------------------------------------------


def _agents(index: list[IndexEntry], by_path: dict[Path, IndexEntry]) -> list[AgentInfo]:
    agents: dict[int, AgentInfo] = {}
    for entry in index:
        path = entry.path
        if len(path) == 2 and path[0] == "agents" and isinstance(path[1], int):
            name = by_path.get((*path, "name"))
            if name is None or not isinstance(name.value, str):
                name = None
            agents[path[1]] = AgentInfo(
                index=path[1],
                name=name.value if name else None,
                name_range=name.value_range if name else None,
                start=entry.start,
                end=entry.end,
                deps=[],
                body={},
            )
    for entry in index:
        path = entry.path
        if len(path) < 3 or path[0] != "agents" or path[1] not in agents:
            continue
        agent = agents[path[1]]
        scalar = isinstance(entry.value, str | int | float | bool)
        if len(path) == 3 and isinstance(path[2], str) and scalar:
            agent.body[path[2]] = entry.value
        dep = _dependency(entry)
        if dep is not None:
            agent.deps.append(dep)
    return [agents[number] for number in sorted(agents)]


def _dependency(entry: IndexEntry) -> tuple[str, Range] | None:
    """A depends_on item (`name` or `{agent_name: name}`) with where its name is written."""
    path = entry.path
    if not isinstance(entry.value, str) or entry.value_range is None:
        return None
    if len(path) == 5 and path[2] == "depends_on" and isinstance(path[3], int):
        return (entry.value, entry.value_range) if path[4] == "agent_name" else None
    if len(path) == 4 and path[2] == "depends_on" and isinstance(path[3], int):
        return entry.value, entry.value_range
    return None


def _name_occurrences(state: DocumentState) -> list[NameOccurrence]:
    out: list[NameOccurrence] = []
    for agent in state.agents:
        if agent.name is not None and agent.name_range is not None:
            out.append(_scalar_occurrence(state, agent.name, agent.name_range, "definition", agent))
        for dep, where in agent.deps:
            out.append(_scalar_occurrence(state, dep, where, "dependency", agent))
        template = state.by_path.get(("agents", agent.index, "prompt_template"))
        if template is not None and template.value_range is not None:
            out.extend(_placeholders(state, template.value_range, agent.index))
    out.sort(key=lambda occurrence: occurrence.range.start)
    return out


def _scalar_occurrence(
    state: DocumentState,
    name: str,
    where: Range,
    kind: Literal["definition", "dependency"],
    agent: AgentInfo,
) -> NameOccurrence:
    written = state.text_in(where)
    inner = where
    if len(written) >= 2 and written[0] in "\"'" and written[-1] == written[0]:
        inner = Range(
            Position(where.start.line, where.start.column + 1),
            Position(where.end.line, where.end.column - 1),
        )
    return NameOccurrence(name, where, inner, kind, agent.index)


def _placeholders(state: DocumentState, where: Range, agent: int) -> Iterator[NameOccurrence]:
    """`{deps.NAME}` written in the prompt_template at WHERE (found in the text as written)."""
    first = state.text_in(Range(where.start, Position(where.start.line, where.start.column + 1)))
    quote = first if first in ("'", '"') else ""
    for line in range(where.start.line, min(where.end.line, len(state.lines) - 1) + 1):
        text = state.lines[line]
        begin = where.start.column if line == where.start.line else 0
        stop = where.end.column if line == where.end.line else len(text)
        for match in PLACEHOLDER.finditer(text, begin, stop):
            if match.group(2) is None:
                continue
            name_range = Range.at(line, match.start(2), line, match.end(2))
            yield NameOccurrence(
                match.group(2), name_range, name_range, "placeholder", agent, quote
            )


# -- what is being typed at the cursor ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CursorContext:
    """What completion at a position should offer."""

    kind: Literal["key", "value", "item"]
    container: Path
    """The mapping a key goes into or holding the value's key; the list an item goes into."""
    key: str | None
    """For a value: its key."""
    replace: Range
    """The partly typed word around the position (empty when nothing is typed yet)."""
    typed: str
    """What is typed of it before the position."""
    lead: str
    """Text to insert before the completion (a space after `key:`, `-` or `,`)."""
    colon_follows: bool
    """For a key: the line already has `:` after the word."""
    item: int | None = None
    """For an item: its index in the list."""
    quoted: bool = False
    """The word is inside quotes (insert it as it is)."""


def cursor_context(state: DocumentState, at: Position) -> CursorContext | None:
    """What is being typed at AT, read line by line (the text need not parse)."""
    lines = state.lines
    if at.line >= len(lines):
        return None
    scanner = Scanner()
    for number in range(at.line):
        scanner.feed(number, lines[number])
    line = lines[at.line]
    prefix = line[: at.column]
    stripped = prefix.lstrip(" \t")
    indent = len(prefix) - len(stripped)
    continuation = scanner.in_continuation
    if continuation is not None and indent > continuation.threshold:
        if continuation.kind != "flow":
            return None
        end = scanner.feed(at.line, prefix)
        return _flow_context(end.flow, line, at) if end.flow else None
    if stripped.startswith("#"):
        return None
    if not stripped:
        container = scanner.container_for_key(indent)
        return None if container is None else _key_context(container, line, at, at.column)
    end = scanner.feed(at.line, prefix)
    if end.flow is not None:
        return _flow_context(end.flow, line, at)
    if end.value_column is not None and end.key is not None and end.container is not None:
        return _value_context(end.container, end.key, line, at, end.value_column)
    typed = prefix[end.content_column :]
    if not _PLAIN_TYPED.fullmatch(typed):
        return None
    if end.item is not None:
        return _item_context(end.item, line, at, end.content_column)
    container = scanner.container_for_key(end.content_column)
    return None if container is None else _key_context(container, line, at, end.content_column)


def _lead(line: str, start: int) -> str:
    return " " if start > 0 and line[start - 1] in ":-," else ""


def _word(line: str, at: Position, start: int, after: re.Pattern[str]) -> Range:
    found = after.match(line, at.column)
    stop = found.end() if found else at.column
    return Range.at(at.line, start, at.line, stop)


def _key_context(container: Path, line: str, at: Position, start: int) -> CursorContext:
    replace = _word(line, at, start, _WORD_AFTER)
    colon = line[replace.end.column :].lstrip(" \t").startswith(":")
    typed = line[start : at.column]
    return CursorContext("key", container, None, replace, typed, _lead(line, start), colon)


def _item_context(item: Path, line: str, at: Position, start: int) -> CursorContext:
    replace = _word(line, at, start, _VALUE_AFTER)
    typed = line[start : at.column]
    colon = line[replace.end.column :].lstrip(" \t").startswith(":")
    index = item[-1] if isinstance(item[-1], int) else None
    lead = _lead(line, start)
    return CursorContext("item", item[:-1], None, replace, typed, lead, colon, index)


def _value_context(
    container: Path, key: str, line: str, at: Position, start: int
) -> CursorContext | None:
    typed = line[start : at.column]
    quoted = typed[:1] in ("'", '"') and typed[0] not in typed[1:]
    if quoted:
        start += 1
        typed = typed[1:]
    elif not _PLAIN_TYPED.fullmatch(typed):
        return None
    replace = _word(line, at, start, _VALUE_AFTER)
    lead = _lead(line, start)
    return CursorContext("value", container, key, replace, typed, lead, False, quoted=quoted)


def _flow_context(flow: FlowState, line: str, at: Position) -> CursorContext | None:
    frame = flow.frame
    start = at.column
    quoted = False
    if flow.token is not None:
        column, text = flow.token
        if column + len(text) != at.column:
            return None
        start = column
        quoted = text[:1] in ("'", '"')
        if quoted:
            start += 1
    typed = line[start : at.column]
    replace = _word(line, at, start, _VALUE_AFTER)
    lead = _lead(line, start)
    if frame.kind == "[":
        return CursorContext(
            "item", frame.path, None, replace, typed, lead, False, frame.index, quoted
        )
    if frame.expecting_value and frame.key is not None:
        return CursorContext(
            "value", frame.path, frame.key, replace, typed, lead, False, quoted=quoted
        )
    if frame.expecting_value:
        return None
    colon = line[replace.end.column :].lstrip(" \t").startswith(":")
    return CursorContext("key", frame.path, None, replace, typed, lead, colon)
