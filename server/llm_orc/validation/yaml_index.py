"""YAML text to Python data plus a path-to-node index, from a single compose.

The data is constructed from the composed nodes (`yaml_builder`: PyYAML's safe constructors and
merge-key semantics, bounded on hostile input) while a separate index records where each path's
key and value are written; positions never enter the data. Syntax errors, empty documents,
values that cannot be read, alias bombs, keys that are not text and duplicate keys become
diagnostics here. Every YAML file llm-orc reads goes through `parse_yaml`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Mapping, Set
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import yaml
from yaml.error import Mark, MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from llm_orc.validation.diagnostics import Diagnostic, Position, Range, RelatedLocation
from llm_orc.validation.wording import kind_of
from llm_orc.validation.yaml_builder import (
    EXPANSION_LIMIT,
    MAP,
    SEQ,
    STR,
    Builder,
    ExpansionRefused,
    Located,
    Path,
)

__all__ = [
    "LineShifts",
    "Located",
    "ParsedYaml",
    "Path",
    "SourceMap",
    "loader_for",
    "parse_yaml",
    "read_header",
]

_RESOLVERS: dict[Any, list[tuple[str, re.Pattern[str]]]] = yaml.SafeLoader.yaml_implicit_resolvers
_ANY_START = tuple(_RESOLVERS.get(None, ()))
_BY_START = {start: (*found, *_ANY_START) for start, found in _RESOLVERS.items() if start}
_BY_START[""] = (*_RESOLVERS.get("", ()), *_ANY_START)


def _resolve(self: Any, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
    """PyYAML's `resolve` for its safe loaders, without the work it repeats on every node (the
    composer asks for each one: a tenth of a 500-agent parse). Those loaders have no path
    resolvers, so a tag follows from the kind and, for a plain scalar, the implicit resolvers
    of its first character."""
    if kind is ScalarNode:
        if implicit[0]:
            for tag, regexp in _BY_START.get(value[:1], _ANY_START):
                if regexp.match(value):
                    return tag
        return STR
    return SEQ if kind is SequenceNode else MAP


class _PyLoader(yaml.SafeLoader):
    resolve = _resolve


assert not yaml.SafeLoader.yaml_path_resolvers, "path resolvers would change the tags"
_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = _PyLoader
if yaml.__with_libyaml__:

    class _CLoader(yaml.CSafeLoader):
        resolve = _resolve

    _Loader = _CLoader
_NULL = "tag:yaml.org,2002:null"
# The line breaks YAML counts (and so the line numbers in PyYAML's and libyaml's marks), and
# those LSP clients count (every range here is in LSP lines).
_YAML_LINE_BREAK = re.compile(r"(\r\n|[\n\r\x85\u2028\u2029])")
_LSP_LINE_BREAK = re.compile(r"(\r\n|[\n\r])")
_YAML_ONLY_BREAKS = re.compile("[\x85\u2028\u2029]")
_ASCII_NOT_LSP_BREAKS = "\v\f\x1c\x1d\x1e"
_ORIGIN = Range.at(0, 0, 0, 0)
_SHOWN_KEY = 40
_SAFE_DEPTH = 1000
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_BRACKET_BYTES = bytes(byte for byte in range(256) if byte not in _BRACKET_STEP)
_INDICATORS = ("- ", "-\t", "? ", "?\t")
_INDICATOR_RUN = re.compile(rf"(?:[-?][ \t]+){{{_SAFE_DEPTH}}}")


@dataclass(frozen=True, slots=True)
class LineShifts:
    """How many lines the nodes indexed under some paths have moved since they were composed:
    a spliced parse (`yaml_splice`) keeps the nodes of the items after an edit that added or
    removed lines, instead of copying them onto their new lines."""

    key: str
    """The top-level key of the list whose items moved (`agents`)."""
    items: tuple[int, ...]
    """By how many lines each item of that list moved."""
    tail: int = 0
    """By how many lines the top-level keys in TAIL_KEYS (those after the list) moved."""
    tail_keys: frozenset[str] = frozenset()

    def of(self, path: Path) -> int:
        """By how many lines the nodes indexed at PATH moved."""
        if not path:
            return 0
        first = path[0]
        if first == self.key:
            index = path[1] if len(path) > 1 else None
            if isinstance(index, int) and 0 <= index < len(self.items):
                return self.items[index]
            return 0
        return self.tail if first in self.tail_keys else 0


class SourceMap:
    """Ranges for document paths, falling back to the nearest written ancestor.

    Ranges are in LSP lines (a line ends only at `\\n`, `\\r\\n` or `\\r`), which is how editors
    count; YAML also breaks lines at U+0085, U+2028 and U+2029, so marks are converted when the
    text holds one of those. Built without text (`SourceMap.without_positions()`) every range
    is 0:0-0:0, for data that was built in code.
    """

    def __init__(
        self,
        entries: Mapping[Path, Located],
        text: str | None,
        aliases: Set[Path] = frozenset(),
        shifts: LineShifts | None = None,
    ) -> None:
        self._entries = entries
        self._aliases = aliases
        self._shifts = shifts
        """Lines the indexed nodes moved since they were composed (None: none moved)."""
        """Paths whose value is an alias of a collection: their value is written elsewhere."""
        self._text = text
        self._lines: list[str] | None = None
        self._starts: list[int] = [0]
        self._yaml_starts: list[int] | None = None
        self._yaml_only_breaks = text is not None and _has_yaml_only_breaks(text)

    @classmethod
    def without_positions(cls) -> SourceMap:
        return cls({}, None)

    @property
    def has_positions(self) -> bool:
        return self._text is not None

    def has(self, path: Path) -> bool:
        return path in self._entries

    def entries(self) -> dict[Path, Located]:
        """A copy of the whole index (for a parse that reuses this one: `yaml_splice`)."""
        return dict(self._entries)

    def entry(self, path: Path) -> Located:
        """The key and value nodes written at PATH (KeyError when nothing is); their marks may
        be `line_shift(PATH)` lines off (use the ranges here)."""
        return self._entries[path]

    def line_shift(self, path: Path) -> int:
        """By how many lines the nodes indexed at PATH moved since they were composed."""
        return 0 if self._shifts is None else self._shifts.of(path)

    def key_range(self, path: Path) -> Range:
        """The key written for PATH (the item itself for list items)."""
        found = self._nearest(path)
        if found is None:
            return _ORIGIN
        at, (key, value) = found
        return self.node_range(value if key is None else key, self.line_shift(at))

    def value_range(self, path: Path) -> Range:
        """The value at PATH; an empty value (`key:` alone) or an alias gives the key instead."""
        found = self._nearest(path)
        if found is None:
            return _ORIGIN
        at, (key, value) = found
        shift = self.line_shift(at)
        if key is not None and (at != path or _is_blank(value) or at in self._aliases):
            return self.node_range(key, shift)
        return self.node_range(value, shift)

    def first_key_range(self, path: Path) -> Range:
        """The first key of the mapping at PATH, else the value at PATH."""
        node = self._value_node(path)
        if isinstance(node, MappingNode) and node.value:
            return self.node_range(node.value[0][0], self.line_shift(path))
        return self.value_range(path)

    def scalar_text(self, path: Path) -> str | None:
        """The scalar at PATH as written (before YAML turns `yes` into true), if there is one."""
        node = self._value_node(path)
        return node.value if isinstance(node, ScalarNode) else None

    def text_range(self, path: Path, needle: str) -> Range:
        """Where NEEDLE is written inside the scalar at PATH, else the whole value."""
        node = self._value_node(path)
        if self._text is None or not isinstance(node, ScalarNode):
            return self.value_range(path)
        self._ensure_lines()
        shift = self.line_shift(path)
        begin = self._offset(node.start_mark, shift)
        found = self._text.find(needle, begin, self._offset(node.end_mark, shift))
        if found < 0:
            return self.value_range(path)
        return Range(self.position_at(found), self.position_at(found + len(needle)))

    def char_at(self, position: Position) -> str:
        """The character at POSITION, or an empty string past the end of its line."""
        lines = self._ensure_lines()
        line = lines[position.line] if 0 <= position.line < len(lines) else ""
        return line[position.column : position.column + 1]

    def line_number(self, range_: Range) -> int | None:
        """The 1-based line of RANGE for messages, or None when there are no positions."""
        return range_.start.line + 1 if self.has_positions else None

    def mark_range(self, mark: Mark) -> Range:
        """From MARK to the end of its line (inside the text: marks may point past its end)."""
        start = self.point(mark)
        end = max(start.column, self._line_length(start.line))
        return self.clamp(Range.at(start.line, start.column, start.line, end))

    def point(self, mark: Mark) -> Position:
        """MARK (YAML's line and column) as a position in LSP lines."""
        if not self._yaml_only_breaks:
            return Position(mark.line, mark.column)
        return self.position_at(self._offset(mark))

    def clamp(self, range_: Range) -> Range:
        """RANGE moved inside the text: no line past the last, no column past its line's end."""
        if self._text is None:
            return range_
        start, end = self._inside(range_.start), self._inside(range_.end)
        if start == range_.start and end == range_.end:
            return range_
        return Range(start, max(start, end))

    def _inside(self, position: Position) -> Position:
        lines = self._ensure_lines()
        if position.line < 0:
            return Position(0, 0)
        if position.line >= len(lines):  # past the last line: the end of the text
            last = len(lines) - 1
            return Position(last, len(lines[last].rstrip("\r\n")))
        length = len(lines[position.line].rstrip("\r\n"))
        return Position(position.line, min(max(position.column, 0), length))

    def _value_node(self, path: Path) -> Node | None:
        entry = self._entries.get(path)
        return None if entry is None else entry[1]

    def _nearest(self, path: Path) -> tuple[Path, Located] | None:
        for length in range(len(path), -1, -1):
            at = path[:length]
            entry = self._entries.get(at)
            if entry is not None:
                return at, entry
        return None

    def node_range(self, node: Node, shift: int = 0) -> Range:
        """Where NODE is written, SHIFT lines below its marks (see `line_shift`)."""
        start_mark, end_mark = node.start_mark, node.end_mark
        if self._yaml_only_breaks:  # never spliced: no shift
            start, end = self.point(start_mark), self.point(end_mark)
        else:
            start = Position(start_mark.line + shift, start_mark.column)
            end = Position(end_mark.line + shift, end_mark.column)
        if start.line == end.line:
            return Range(start, end)
        if not isinstance(node, ScalarNode):
            # A collection's end mark overshoots onto the next line: its first line stands for it.
            return Range.at(start.line, start.column, start.line, self._line_length(start.line))
        line, column = end.line, end.column
        while column == 0 and line > start.line:  # block scalars end on the following line
            line -= 1
            column = self._line_length(line)
        return Range.at(start.line, start.column, line, column)

    def _line_length(self, line: int) -> int:
        lines = self._ensure_lines()
        return len(lines[line].rstrip()) if 0 <= line < len(lines) else 0

    def _ensure_lines(self) -> list[str]:
        """The text's LSP lines (with their breaks) and where each starts, computed once."""
        if self._lines is None:
            text = self._text or ""
            if self._yaml_only_breaks or any(brk in text for brk in _ASCII_NOT_LSP_BREAKS):
                # str.splitlines would split where LSP does not
                self._lines = _split_keeping(text, _LSP_LINE_BREAK)
            else:
                self._lines = text.splitlines(keepends=True)
            if not self._lines or self._lines[-1].endswith(("\n", "\r")):
                self._lines.append("")  # the empty line after a final break
            self._starts = list(accumulate(map(len, self._lines), initial=0))
        return self._lines

    def _offset(self, mark: Mark, shift: int = 0) -> int:
        """The code-point offset of MARK (SHIFT lines below it) in the text."""
        self._ensure_lines()
        starts = self._starts
        if self._yaml_only_breaks:
            if self._yaml_starts is None:
                yaml_lines = _split_keeping(self._text or "", _YAML_LINE_BREAK)
                self._yaml_starts = list(accumulate(map(len, yaml_lines), initial=0))
            starts = self._yaml_starts
        line = min(mark.line + shift, len(starts) - 1)
        return min(starts[line] + mark.column, len(self._text or ""))

    def position_at(self, offset: int) -> Position:
        """The line and column of a code-point OFFSET into the text."""
        self._ensure_lines()
        line = max(bisect_right(self._starts, offset) - 1, 0)
        line = min(line, len(self._lines or [""]) - 1)
        return Position(line, offset - self._starts[line])


def _has_yaml_only_breaks(text: str) -> bool:
    """Whether TEXT holds U+0085, U+2028 or U+2029 (ASCII text, the usual case, cannot)."""
    return not text.isascii() and _YAML_ONLY_BREAKS.search(text) is not None


def _split_keeping(text: str, breaks: re.Pattern[str]) -> list[str]:
    """TEXT split after each match of BREAKS, the breaks kept."""
    parts = breaks.split(text)
    lines = [line + brk for line, brk in zip(parts[0::2], parts[1::2], strict=False)]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _is_blank(node: Node) -> bool:
    """`key:` with nothing after it: an empty plain scalar whose marks may sit on the next line."""
    return isinstance(node, ScalarNode) and node.value == "" and not node.style


@dataclass(frozen=True, slots=True)
class ParsedYaml:
    data: Any
    """The constructed document; None when the text did not parse or holds no document."""
    source: SourceMap
    diagnostics: list[Diagnostic]
    has_document: bool
    """False on a syntax error, an unreadable value or an empty document: nothing to check."""
    finite: bool = False
    """True when no value of DATA can be a NaN or an infinity (the not-json check has nothing
    to find); False when one is, or may be."""


def parse_yaml(text: str) -> ParsedYaml:
    """Compose TEXT once, construct its data and index its nodes; report YAML-level problems.

    Never raises on any text: every problem is a located diagnostic, and the work is bounded
    (nesting, alias expansion), so one hostile file costs what its size costs.
    """
    source_positions: dict[Path, Located] = {}
    aliases: set[Path] = set()
    source = SourceMap(source_positions, text, aliases)
    loader_class = loader_for(text)
    loader: yaml.SafeLoader | yaml.CSafeLoader | None = None
    try:
        loader = loader_class(text)
        node = loader.get_single_node()
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL and not node.value):
            empty = Diagnostic("empty-document", "the document is empty", _ORIGIN)
            return ParsedYaml(None, source, [empty], has_document=False)
        builder = Builder(loader, source_positions, aliases)
        data = builder.build(node, (), None)
    except ExpansionRefused as exc:
        return ParsedYaml(None, source, [_expansion_error(exc, source)], has_document=False)
    except MarkedYAMLError as exc:
        return ParsedYaml(None, source, [_syntax_error(exc, source)], has_document=False)
    except ReaderError as exc:
        error = _reader_error(
            exc, text, source, byte_offsets=not issubclass(loader_class, yaml.SafeLoader)
        )
        return ParsedYaml(None, source, [error], has_document=False)
    except UnicodeEncodeError as exc:  # libyaml reads UTF-8: a lone surrogate cannot be encoded
        return ParsedYaml(None, source, [_unencodable(exc, text, source)], has_document=False)
    except (YAMLError, RecursionError) as exc:
        message = "the document nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        error = Diagnostic("yaml-syntax", message, _ORIGIN)
        return ParsedYaml(None, source, [error], has_document=False)
    finally:
        if loader is not None:
            loader.dispose()
    if builder.problems:
        problems = [
            Diagnostic(problem.code, problem.message, source.node_range(problem.node))
            for problem in builder.problems.values()
        ]
        return ParsedYaml(None, source, problems, has_document=False)
    diagnostics = [_duplicate(first, second, source) for first, second in builder.duplicates]
    keys = builder.non_text_keys.values()
    diagnostics += [_non_text_key(node, key, source) for node, key in keys]
    return ParsedYaml(data, source, diagnostics, has_document=True, finite=builder.finite)


def read_header(text: str, keys: Collection[str]) -> dict[str, str] | None:
    """The top-level text values of KEYS (`name`, `description`), cheaply: the text is composed
    with `parse_yaml`'s guards, and nothing is constructed or checked (for listing many files).

    None when the text does not compose; {} when it is not a mapping. Never raises.
    """
    loader: yaml.SafeLoader | yaml.CSafeLoader | None = None
    try:
        loader = loader_for(text)(text)
        node = loader.get_single_node()
    except (YAMLError, RecursionError, UnicodeError):
        return None
    finally:
        if loader is not None:
            loader.dispose()
    found: dict[str, str] = {}
    if isinstance(node, MappingNode):
        for key, value in node.value:  # as parse_yaml: the last of duplicate keys wins
            if _is_text(key) and key.value in keys and _is_text(value):
                found[key.value] = value.value
    return found


def _is_text(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == STR


def _expansion_error(exc: ExpansionRefused, source: SourceMap) -> Diagnostic:
    """On the `<<` key or the key whose alias crossed the limit, else on the list holding it."""
    if exc.node is not None:
        where = source.node_range(exc.node)
    elif exc.path and source.has(exc.path) and source.entry(exc.path)[0] is None:
        where = source.value_range(exc.path[:-1])
    else:
        where = source.key_range(exc.path)
    message = (
        f"aliases expand this document past {EXPANSION_LIMIT:,} values (an alias-expansion "
        "bomb?); llm-orc refuses to read it — write the values out, or use fewer aliases"
    )
    return Diagnostic("yaml-alias-limit", message, where)


def _unencodable(exc: UnicodeEncodeError, text: str, source: SourceMap) -> Diagnostic:
    start = source.position_at(exc.start)
    code = ord(text[exc.start]) if exc.start < len(text) else 0
    message = f"unacceptable character #x{code:04x}: a lone surrogate is not text"
    return Diagnostic("yaml-syntax", message, Range(start, Position(start.line, start.column + 1)))


def _non_text_key(key_node: Node, key: Any, source: SourceMap) -> Diagnostic:
    written = key_node.value if isinstance(key_node, ScalarNode) else str(key)
    shown = written if len(written) <= _SHOWN_KEY else written[: _SHOWN_KEY - 1] + "…"
    message = (
        f"key '{shown}' is read as {kind_of(key)}, not as a name; keys must be text "
        f'(quote it: "{shown}")'
    )
    return Diagnostic("invalid-key", message, source.node_range(key_node))


def _syntax_error(exc: MarkedYAMLError, source: SourceMap) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "invalid YAML"
    context, problem = exc.context_mark, exc.problem_mark
    if exc.context and exc.problem and context and problem and context.line != problem.line:
        if exc.problem.startswith("but "):  # "expected a single document ..., but found ..."
            message = f"{exc.context} (line {context.line + 1}), {exc.problem}"
        else:
            message = f"{exc.problem} ({exc.context} on line {context.line + 1})"
    if mark is None:
        return Diagnostic("yaml-syntax", message, _ORIGIN)
    location = source.mark_range(mark)
    if source.char_at(location.start) == "\t":
        message += " (a tab: indent YAML with spaces)"
    return Diagnostic("yaml-syntax", message, location)


def loader_for(text: str) -> type[yaml.SafeLoader] | type[yaml.CSafeLoader]:
    """libyaml, unless the text nests deeper than its recursive composer survives.

    libyaml's composer overflows the C stack (a segfault, fatal to a language server) on
    thousands of nested `[`/`{` or of `- ` on one line; PyYAML's own raises RecursionError.
    """
    if issubclass(_Loader, yaml.SafeLoader):
        return _Loader
    if text.count("[") + text.count("{") > _SAFE_DEPTH:
        # Brackets alone, as bytes (no UTF-8 multi-byte sequence holds an ASCII byte).
        brackets = text.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKET_BYTES)
        if max(accumulate(map(_BRACKET_STEP.__getitem__, brackets))) > _SAFE_DEPTH:
            return _PyLoader
    indicators = sum(map(text.count, _INDICATORS))
    if indicators > _SAFE_DEPTH and _INDICATOR_RUN.search(text):
        return _PyLoader
    return _Loader


def _reader_error(
    exc: ReaderError, text: str, source: SourceMap, *, byte_offsets: bool
) -> Diagnostic:
    offset = exc.position
    if byte_offsets:  # libyaml reads UTF-8 and reports byte offsets
        offset = len(text.encode("utf-8")[:offset].decode("utf-8", "ignore"))
    start = source.position_at(offset)
    character = exc.character
    code = ord(character) if isinstance(character, str) else character
    message = f"unacceptable character #x{code:04x}: {exc.reason}"
    end = Position(start.line, start.column + 1)
    return Diagnostic("yaml-syntax", message, Range(start, end))


def _duplicate(first: Node, second: Node, source: SourceMap) -> Diagnostic:
    first_range = source.node_range(first)
    name = second.value if isinstance(second, ScalarNode) else "?"
    line = first_range.start.line + 1
    return Diagnostic(
        "duplicate-key",
        f"duplicate key '{name}' (first on line {line}); only the last one is used",
        source.node_range(second),
        related=(RelatedLocation(first_range, f"'{name}' is first defined here"),),
    )
