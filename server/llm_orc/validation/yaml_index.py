"""YAML text to Python data plus a path-to-node index, from a single compose.

The data is constructed from the composed nodes (with PyYAML's safe constructors and merge-key
semantics) while a separate index records where each path's key and value are written; positions
never enter the data. Syntax errors, empty documents and duplicate keys become diagnostics here.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.error import Mark, MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from llm_orc.validation.diagnostics import Diagnostic, Position, Range, RelatedLocation

Path = tuple[str | int, ...]
"""Where a value sits in a document: mapping keys and list indexes from the root."""

_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
)
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_TEXT_KEYS = frozenset({_STR, "tag:yaml.org,2002:value"})  # PyYAML reads a `=` key as text
# The line breaks YAML counts (and so the line numbers in PyYAML's and libyaml's marks).
_LINE_BREAK = re.compile(r"(\r\n|[\n\r\x85\u2028\u2029])")
_NOT_YAML_BREAKS = re.compile("[\v\f\x1c\x1d\x1e]")
_ORIGIN = Range.at(0, 0, 0, 0)
_SAFE_DEPTH = 1000
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_BRACKET_BYTES = bytes(byte for byte in range(256) if byte not in _BRACKET_STEP)
_INDICATORS = ("- ", "-\t", "? ", "?\t")
_INDICATOR_RUN = re.compile(rf"(?:[-?][ \t]+){{{_SAFE_DEPTH}}}")
_SCALARS: dict[str, Callable[[Any, ScalarNode], Any]] = {
    f"tag:yaml.org,2002:{name}": getattr(SafeConstructor, f"construct_yaml_{name}")
    for name in ("null", "bool", "int", "float", "timestamp")
}


Located = tuple[Node | None, Node]
"""The key node (None for list items and the root) and the value node written at one path."""


class SourceMap:
    """Ranges for document paths, falling back to the nearest written ancestor.

    Built without text (`SourceMap.without_positions()`) every range is 0:0-0:0, for data that
    was built in code.
    """

    def __init__(self, entries: Mapping[Path, Located], text: str | None) -> None:
        self._entries = entries
        self._text = text
        self._lines: list[str] | None = None
        self._starts: list[int] = [0]

    @classmethod
    def without_positions(cls) -> SourceMap:
        return cls({}, None)

    @property
    def has_positions(self) -> bool:
        return self._text is not None

    def has(self, path: Path) -> bool:
        return path in self._entries

    def key_range(self, path: Path) -> Range:
        """The key written for PATH (the item itself for list items)."""
        found = self._nearest(path)
        if found is None:
            return _ORIGIN
        key, value = found[1]
        return self.node_range(value if key is None else key)

    def value_range(self, path: Path) -> Range:
        """The value at PATH; an empty value (`key:` alone) gives the key instead."""
        found = self._nearest(path)
        if found is None:
            return _ORIGIN
        at, (key, value) = found
        if key is not None and (at != path or _is_blank(value)):
            return self.node_range(key)
        return self.node_range(value)

    def first_key_range(self, path: Path) -> Range:
        """The first key of the mapping at PATH, else the value at PATH."""
        node = self._value_node(path)
        if isinstance(node, MappingNode) and node.value:
            return self.node_range(node.value[0][0])
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
        begin = self._offset(node.start_mark)
        found = self._text.find(needle, begin, self._offset(node.end_mark))
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
        """From MARK to the end of its line."""
        end = max(mark.column, self._line_length(mark.line))
        return Range.at(mark.line, mark.column, mark.line, end)

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

    def node_range(self, node: Node) -> Range:
        start, end = node.start_mark, node.end_mark
        if start.line == end.line:
            return Range.at(start.line, start.column, end.line, end.column)
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
        """The text's lines (with their breaks) and where each starts, computed on first use."""
        if self._lines is None:
            text = self._text or ""
            if _NOT_YAML_BREAKS.search(text):  # str.splitlines would split where YAML does not
                parts = _LINE_BREAK.split(text)
                lines = [line + brk for line, brk in zip(parts[0::2], parts[1::2], strict=False)]
                lines.append(parts[-1])
            else:
                lines = text.splitlines(keepends=True)
            self._lines = lines
            self._starts = list(accumulate(map(len, lines), initial=0))
        return self._lines

    def _offset(self, mark: Mark) -> int:
        line = min(mark.line, len(self._starts) - 1)
        return self._starts[line] + mark.column

    def position_at(self, offset: int) -> Position:
        """The line and column of a code-point OFFSET into the text."""
        self._ensure_lines()
        line = bisect_right(self._starts, offset) - 1
        return Position(line, offset - self._starts[line])


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
    """False on a syntax error or an empty document: there is nothing to check further."""


def parse_yaml(text: str) -> ParsedYaml:
    """Compose TEXT once, construct its data and index its nodes; report YAML-level problems."""
    source_positions: dict[Path, Located] = {}
    source = SourceMap(source_positions, text)
    loader_class = _loader_for(text)
    loader: yaml.SafeLoader | yaml.CSafeLoader | None = None
    try:
        loader = loader_class(text)
        node = loader.get_single_node()
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL and not node.value):
            empty = Diagnostic("empty-document", "the document is empty", _ORIGIN)
            return ParsedYaml(None, source, [empty], has_document=False)
        builder = _Builder(loader, source_positions)
        data = builder.build(node, (), None)
    except MarkedYAMLError as exc:
        return ParsedYaml(None, source, [_syntax_error(exc, source)], has_document=False)
    except ReaderError as exc:
        error = _reader_error(exc, text, source, byte_offsets=loader_class is not yaml.SafeLoader)
        return ParsedYaml(None, source, [error], has_document=False)
    except (YAMLError, RecursionError) as exc:
        message = "the document nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        error = Diagnostic("yaml-syntax", message, _ORIGIN)
        return ParsedYaml(None, source, [error], has_document=False)
    finally:
        if loader is not None:
            loader.dispose()
    diagnostics = [_duplicate(first, second, source) for first, second in builder.duplicates]
    return ParsedYaml(data, source, diagnostics, has_document=True)


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


def _loader_for(text: str) -> type[yaml.SafeLoader] | type[yaml.CSafeLoader]:
    """libyaml, unless the text nests deeper than its recursive composer survives.

    libyaml's composer overflows the C stack (a segfault, fatal to a language server) on
    thousands of nested `[`/`{` or of `- ` on one line; PyYAML's own raises RecursionError.
    """
    if _Loader is yaml.SafeLoader:
        return _Loader
    if text.count("[") + text.count("{") > _SAFE_DEPTH:
        # Brackets alone, as bytes (no UTF-8 multi-byte sequence holds an ASCII byte).
        brackets = text.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKET_BYTES)
        if max(accumulate(map(_BRACKET_STEP.__getitem__, brackets))) > _SAFE_DEPTH:
            return yaml.SafeLoader
    indicators = sum(map(text.count, _INDICATORS))
    if indicators > _SAFE_DEPTH and _INDICATOR_RUN.search(text):
        return yaml.SafeLoader
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


class _Builder:
    """Constructs Python data from composed nodes and fills the path index on the way.

    Written for speed (the language server re-validates on every keystroke): plain strings are
    taken as they are, other scalars go straight to PyYAML's safe scalar constructors.
    """

    def __init__(self, loader: yaml.SafeLoader | yaml.CSafeLoader, entries: dict[Path, Located]):
        self._loader = loader
        self._entries = entries
        self._built: dict[int, Any] = {}
        self._open: set[int] = set()
        self.duplicates: list[tuple[Node, Node]] = []

    def build(self, node: Node, path: Path, key: Node | None) -> Any:
        self._entries[path] = (key, node)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        ident = id(node)
        if ident in self._built:  # an alias: the same object, as PyYAML builds it; indexed once
            if ident in self._open:
                raise ConstructorError(
                    None, None, "an alias refers to a node that contains it", node.start_mark
                )
            return self._built[ident]
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            items: list[Any] = []
            self._built[ident] = items
            self._open.add(ident)
            for index, child in enumerate(node.value):
                items.append(self.build(child, (*path, index), None))
            self._open.discard(ident)
            return items
        if isinstance(node, MappingNode) and node.tag == _MAP:
            return self._build_mapping(node, path)
        value = self._loader.construct_object(node, True)  # other tags: !!set, !!omap, ...
        self._built[ident] = value
        return value

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        constructor = _SCALARS.get(node.tag)
        if constructor is None:  # !!binary, unknown tags (which raise a located error)
            return self._loader.construct_object(node, True)
        return constructor(self._loader, node)

    def _build_mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        ident = id(node)
        self._built[ident] = result
        self._open.add(ident)
        pairs: list[tuple[Node, Node]] = node.value
        merged = 0
        tags = [key_node.tag for key_node, _ in pairs]
        if _MERGE in tags:
            explicit = len(tags) - tags.count(_MERGE)
            self._loader.flatten_mapping(node)  # PyYAML's `<<`: merged pairs first, then explicit
            pairs = node.value
            merged = len(pairs) - explicit
        seen: dict[Any, Node] = {}
        entries = self._entries
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
                    value_node.value if value_node.tag == _STR else self._scalar(value_node)
                )
            else:
                result[key] = self.build(value_node, child, key_node)
        self._open.discard(ident)
        return result

    def _key(self, key_node: Node, mapping: MappingNode) -> Any:
        key = self._loader.construct_object(key_node, True)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                "while constructing a mapping",
                mapping.start_mark,
                "found unhashable key",
                key_node.start_mark,
            ) from None
        return key
