"""A tolerant, line-based reading of a YAML document's structure, for text that does not parse.

While the user types, an ensemble is mostly invalid YAML (`depends_on: [a, `, a key without its
colon). This scanner reads block mappings and sequences from indentation, flow collections
(`[a, b]`, `{name: a}`, also over several lines) with a small tokenizer, and skips block scalars
and multi-line quoted strings, so every key and list item written gets a path like the parsed
document's (`("agents", 1, "depends_on", 0)`). It never fails; what it cannot read it skips.

Known limits: anchors, aliases, merge keys, tags and explicit `? ` keys are not interpreted, and
a line inside a plain multi-line scalar that looks like `key: value` is read as a key.
Positions are code points, as in the validator.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from llm_orc.validation.diagnostics import Position, Range
from llm_orc.validation.yaml_index import Path

_DQ = r'"(?:[^"\\]|\\.)*"'
_SQ = r"'(?:[^']|'')*'"
_PLAIN_KEY = r"[^\s#'\"\[\]{},&*!|>%@`](?:[^#:\n]|:(?![ \t]|$)|(?<![ \t])#)*?"
_KEY = re.compile(rf"(?P<key>{_DQ}|{_SQ}|{_PLAIN_KEY})[ \t]*:(?=[ \t]|$)")
_DASH = re.compile(r"-(?=[ \t]|$)[ \t]*")
_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*[ \t]*(?:#.*)?$")
_PROPERTY = re.compile(r"(?:[&!][^\s]*[ \t]+)+")  # anchors and tags before a value
_FLOW_PLAIN_END = re.compile(r"[,\[\]{}]|:(?=[ \t,\[\]{}]|$)|[ \t]#")
_BLOCK_PLAIN_END = re.compile(r"[ \t]#")


def unquote(token: str) -> str:
    """The string a scalar token stands for (quotes and escapes resolved; plain as written)."""
    if len(token) >= 2 and token[0] == token[-1] == '"':
        try:
            value = json.loads(token)
        except ValueError:
            return token[1:-1]
        return value if isinstance(value, str) else token[1:-1]
    if len(token) >= 2 and token[0] == token[-1] == "'":
        return token[1:-1].replace("''", "'")
    return token


@dataclass(slots=True)
class OutlineEntry:
    """One key or list item as written."""

    path: Path
    line: int
    column: int
    """Where the key (or the item's content) starts."""
    key_range: Range | None
    """The key as written; None for list items."""
    value_range: Range | None = None
    """The scalar value written on the same line; None when empty or a collection."""
    value: str | None = None
    """That scalar, unquoted."""
    last_line: int = -1
    """The last line of the entry's content (its nested lines and continuation lines)."""


@dataclass(slots=True)
class _Frame:
    kind: str  # "map" or "seq"
    column: int
    path: Path
    current: str | int | None = None
    open: bool = False
    """The current entry had no value on its line: nested block content may follow."""
    entry: OutlineEntry | None = None

    def child(self) -> Path:
        return self.path if self.current is None else (*self.path, self.current)


@dataclass(slots=True)
class _FlowFrame:
    kind: str  # "[" or "{"
    path: Path
    index: int = 0
    key: str | None = None
    expecting_value: bool = False
    entry: OutlineEntry | None = None
    """The current item or key's entry (gets the scalar value when it comes)."""

    def child(self) -> Path:
        if self.kind == "[":
            return (*self.path, self.index)
        return (*self.path, self.key if self.key is not None else "")


@dataclass(slots=True)
class FlowState:
    """Where a flow collection scan ended (at the cursor, for completion)."""

    frame: _FlowFrame
    token: tuple[int, str] | None
    """The last scalar token read, when nothing but blanks came after it: column and text."""


@dataclass(slots=True)
class _Continuation:
    """Lines that belong to a value started on an earlier line."""

    kind: str  # "block" (block scalar), "quote" (a quoted scalar), "flow"
    threshold: int
    """Lines indented at most this much end the value (tolerance for unfinished text)."""
    owner: list[OutlineEntry]
    quote: str = ""


@dataclass
class LineEnd:
    """What a (partial) line amounts to at its end: the cursor analysis reads this."""

    item: Path | None = None
    """The list item that the line's last `- ` opened."""
    content_column: int = 0
    """Where the content after indentation and dashes starts."""
    key: str | None = None
    container: Path | None = None
    """The mapping holding KEY."""
    value_column: int | None = None
    """Where the value after `key:` starts (the end of the line when there is none yet)."""
    flow: FlowState | None = None
    """Where an unfinished flow collection stands at the end of the line."""


@dataclass
class Outline:
    entries: list[OutlineEntry] = field(default_factory=list)

    def at(self, path: Path) -> OutlineEntry | None:
        for entry in self.entries:
            if entry.path == path:
                return entry
        return None

    def children(self, path: Path) -> list[OutlineEntry]:
        depth = len(path) + 1
        return [e for e in self.entries if len(e.path) == depth and e.path[: depth - 1] == path]


class Scanner:
    """Reads lines in order (`feed`). The cursor analysis feeds the lines before the cursor,
    then the cursor line's text up to the cursor, and reads the state."""

    def __init__(self) -> None:
        self.outline = Outline()
        self._stack: list[_Frame] = []
        self._flow: list[_FlowFrame] = []
        self._continuation: _Continuation | None = None

    # -- lines --------------------------------------------------------------------------------

    def feed(self, number: int, line: str) -> LineEnd:
        """Read LINE (without its line break), number NUMBER."""
        stripped = line.lstrip(" \t")
        indent = len(line) - len(stripped)
        cont = self._continuation
        if cont is not None:
            if indent > cont.threshold or (not stripped and cont.kind != "flow"):
                self._touch(cont.owner, number if stripped else None)
                return self._continue(cont, number, line, indent)
            self._continuation = None
            self._flow = []
        if not stripped or stripped.startswith("#"):
            return LineEnd(content_column=indent)
        if indent == 0 and stripped.startswith(("---", "...", "%")):
            if stripped[:3] in ("---", "...") and stripped[3:4] in ("", " ", "\t"):
                self._stack = []
            return LineEnd(content_column=indent)
        return self._block_line(number, line, indent)

    def _continue(self, cont: _Continuation, number: int, line: str, indent: int) -> LineEnd:
        if cont.kind == "quote":
            end = _closing_quote(line, 0, cont.quote)
            if end is not None:
                self._continuation = None
            return LineEnd(content_column=indent)
        if cont.kind == "flow":
            state = self._scan_flow(number, line, indent)
            if not self._flow:
                self._continuation = None
            return LineEnd(content_column=indent, flow=state)
        return LineEnd(content_column=indent)

    def _block_line(self, number: int, line: str, indent: int) -> LineEnd:
        end = LineEnd()
        column = indent
        owner_column = indent
        while match := _DASH.match(line, column):
            end.item = self._dash(number, column)
            owner_column = column
            column = match.end()
        end.content_column = column
        key = _KEY.match(line, column)
        if key is not None:
            name = unquote(key.group("key"))
            frame = self._key(number, column, key.end("key"), name)
            end.key, end.container = name, frame.path
            owner_column = column
            value_column = _skip_blanks(line, key.end())
            end.value_column = value_column
            entry = frame.entry
            assert entry is not None
            frame.open = self._value(number, line, value_column, owner_column, entry, end)
        elif end.item is not None:
            top = self._stack[-1]
            entry = top.entry
            assert entry is not None
            top.open = self._value(number, line, column, owner_column, entry, end)
        return end

    # -- block structure ----------------------------------------------------------------------

    def _pop_deeper(self, column: int) -> None:
        while self._stack and self._stack[-1].column > column:
            self._stack.pop()

    def _dash(self, number: int, column: int) -> Path:
        self._pop_deeper(column)
        stack = self._stack
        top = stack[-1] if stack else None
        if top is not None and top.kind == "seq" and top.column == column:
            assert isinstance(top.current, int)
            top.current += 1
        else:
            if top is not None and top.kind == "map" and top.column == column and not top.open:
                stack.pop()  # a stray dash: tolerate it as a new list in the parent
                top = stack[-1] if stack else None
            parent = () if top is None else top.child()
            top = _Frame("seq", column, parent, 0)
            stack.append(top)
        top.open = True
        path = top.child()
        top.entry = OutlineEntry(path, number, column, None, last_line=number)
        self.outline.entries.append(top.entry)
        return path

    def _key(self, number: int, column: int, key_end: int, name: str) -> _Frame:
        self._pop_deeper(column)
        stack = self._stack
        if stack and stack[-1].kind == "seq" and stack[-1].column == column:
            stack.pop()  # `key:` at the column of an indentless list ends that list
        top = stack[-1] if stack else None
        if top is None or top.kind != "map" or top.column != column:
            top = _Frame("map", column, () if top is None else top.child())
            stack.append(top)
        top.current = name
        key_range = Range.at(number, column, number, key_end)
        top.entry = OutlineEntry(top.child(), number, column, key_range, last_line=number)
        self.outline.entries.append(top.entry)
        self._touch_open(number)
        return top

    def _touch_open(self, number: int) -> None:
        for frame in self._stack:
            if frame.entry is not None:
                frame.entry.last_line = number

    def _touch(self, owners: list[OutlineEntry], number: int | None) -> None:
        if number is not None:
            for entry in owners:
                entry.last_line = number

    def _value(
        self,
        number: int,
        line: str,
        column: int,
        owner_column: int,
        entry: OutlineEntry,
        end: LineEnd,
    ) -> bool:
        """Read the value written from COLUMN; True when there is none (nested content may
        follow)."""
        self._touch_open(number)
        prop = _PROPERTY.match(line, column)
        if prop is not None:
            column = prop.end()
        rest = line[column:]
        if not rest or rest.startswith("#"):
            return True
        owners = [frame.entry for frame in self._stack if frame.entry is not None]
        first = rest[0]
        if first in "[{":
            self._flow = [_FlowFrame(first, entry.path, entry=None)]
            end.flow = self._scan_flow(number, line, column + 1)
            if self._flow:
                self._continuation = _Continuation("flow", owner_column, owners)
            return False
        if first in "\"'":
            close = _closing_quote(line, column + 1, first)
            if close is None:
                self._continuation = _Continuation("quote", owner_column, owners, first)
                entry.value = unquote(rest + first)
                entry.value_range = Range.at(number, column, number, len(line))
                return False
            entry.value = unquote(line[column:close])
            entry.value_range = Range.at(number, column, number, close)
            return False
        if _BLOCK_SCALAR.match(rest):
            self._continuation = _Continuation("block", owner_column, owners)
            return False
        if first == "*":  # an alias
            return False
        stop = _BLOCK_PLAIN_END.search(line, column)
        text_end = stop.start() if stop else len(line)
        value = line[column:text_end].rstrip()
        entry.value = value
        entry.value_range = Range.at(number, column, number, column + len(value))
        return False

    # -- flow collections ---------------------------------------------------------------------

    def _scan_flow(self, number: int, line: str, column: int) -> FlowState | None:
        """Read flow collection text from COLUMN; the state where the line ends."""
        flow = self._flow
        token: tuple[int, str] | None = None
        length = len(line)
        position = column
        while position < length and flow:
            char = line[position]
            frame = flow[-1]
            if char in " \t":
                position += 1
                continue
            if char == "#" and line[position - 1] in " \t":
                break
            token = None
            if char in "[{":
                child = _FlowFrame(char, frame.child())
                self._flow_entry(frame, number, position)
                flow.append(child)
                position += 1
                continue
            if char in "]}":
                flow.pop()
                position += 1
                continue
            if char == ",":
                if frame.kind == "[":
                    frame.index += 1
                else:
                    frame.key, frame.expecting_value = None, False
                frame.entry = None
                position += 1
                continue
            if char == ":" and (position + 1 >= length or line[position + 1] in " \t,[]{}"):
                if frame.kind == "{":
                    frame.expecting_value = True
                position += 1
                continue
            if char in "\"'":
                close = _closing_quote(line, position + 1, char)
                stop = length if close is None else close
            else:
                found = _FLOW_PLAIN_END.search(line, position)
                stop = found.start() if found else length
            text = line[position:stop].rstrip()
            self._flow_scalar(frame, number, position, text)
            token = (position, text)
            position = stop
        self._touch([f.entry for f in self._stack if f.entry], number)
        if not flow:
            return None
        return FlowState(flow[-1], token)

    def _flow_entry(self, frame: _FlowFrame, number: int, column: int) -> OutlineEntry | None:
        """The entry for the current item of FRAME (a nested collection or a scalar)."""
        if frame.kind == "[":
            entry = OutlineEntry(frame.child(), number, column, None, last_line=number)
            self.outline.entries.append(entry)
            frame.entry = entry
        return frame.entry

    def _flow_scalar(self, frame: _FlowFrame, number: int, column: int, text: str) -> None:
        value_range = Range.at(number, column, number, column + len(text))
        if frame.kind == "[":
            entry = self._flow_entry(frame, number, column)
            assert entry is not None
            entry.value, entry.value_range = unquote(text), value_range
        elif not frame.expecting_value:
            frame.key = unquote(text)
            entry = OutlineEntry(frame.child(), number, column, value_range, last_line=number)
            self.outline.entries.append(entry)
            frame.entry = entry
        elif frame.entry is not None:
            frame.entry.value, frame.entry.value_range = unquote(text), value_range

    # -- the cursor ---------------------------------------------------------------------------

    def container_for_key(self, column: int) -> Path | None:
        """The mapping a key written at COLUMN on the next line would belong to."""
        for frame in reversed(self._stack):
            if frame.column > column:
                continue
            if frame.column == column:
                if frame.kind == "map":
                    return frame.path
                continue  # a key at an indentless list's column belongs to the list's parent
            if frame.open:
                return frame.child()
            return None
        return () if not self._stack or column == 0 else None

    @property
    def in_continuation(self) -> _Continuation | None:
        return self._continuation


def _skip_blanks(line: str, column: int) -> int:
    while column < len(line) and line[column] in " \t":
        column += 1
    return column


def _closing_quote(line: str, start: int, quote: str) -> int | None:
    """The column just after the quote closing a scalar whose text starts at START."""
    position = start
    while position < len(line):
        char = line[position]
        if quote == '"' and char == "\\":
            position += 2
            continue
        if char == quote:
            if quote == "'" and line[position + 1 : position + 2] == "'":
                position += 2
                continue
            return position + 1
        position += 1
    return None


def split_lines(text: str) -> list[str]:
    """The lines of TEXT without their breaks, as the editor counts them: LSP ends a line only
    at \\n, \\r\\n or \\r, not at U+2028 and the other breaks str.splitlines knows (a final
    empty line after a trailing break included)."""
    if _NOT_LSP_BREAKS.search(text):
        return _LSP_LINE_BREAK.split(text)
    lines = text.splitlines()
    if not text or text[-1] in "\n\r":
        lines.append("")
    return lines


_LSP_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_NOT_LSP_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def scan(lines: list[str]) -> Outline:
    """The outline of a whole document."""
    scanner = Scanner()
    for number, line in enumerate(lines):
        scanner.feed(number, line)
    return scanner.outline


def position_in(range_: Range, at: Position) -> bool:
    """AT lies in RANGE, its end included (a cursor just after a word is on it)."""
    return range_.start <= at <= range_.end
