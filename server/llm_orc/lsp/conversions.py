"""Engine positions (code points) to LSP positions (the client's units, UTF-16 in VS Code).

pygls splits a document's whole text again on every conversion; results with many ranges (500
agents' diagnostics, symbols) convert with the lines of each document version split once.
"""

from __future__ import annotations

from collections import OrderedDict

from lsprotocol import types
from pygls.workspace import ServerTextPosition, TextDocument

from llm_orc.lsp.yaml_outline import split_lines
from llm_orc.validation.diagnostics import Diagnostic, Position, Range, Severity

SOURCE = "llm-orc"
_RECENT_DOCUMENTS = 32

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}

_lines: OrderedDict[str, tuple[str, list[str]]] = OrderedDict()


def document_lines(document: TextDocument) -> list[str]:
    """DOCUMENT's lines as the editor counts them, split once per version of its text."""
    source = document.source
    cached = _lines.get(document.uri)
    if cached is not None and cached[0] is source:
        _lines.move_to_end(document.uri)
        return cached[1]
    lines = split_lines(source)
    _lines[document.uri] = (source, lines)
    while len(_lines) > _RECENT_DOCUMENTS:
        _lines.popitem(last=False)
    return lines


def to_client_range(document: TextDocument, range_: Range) -> types.Range:
    """RANGE (code points) in DOCUMENT's client units."""
    lines = document_lines(document)
    codec = document.position_codec
    return types.Range(
        codec.position_to_client_units(
            lines, ServerTextPosition(range_.start.line, range_.start.column)
        ),
        codec.position_to_client_units(
            lines, ServerTextPosition(range_.end.line, range_.end.column)
        ),
    )


def to_position(document: TextDocument, position: types.Position) -> Position:
    """A client position in code points (past the end of a line: its end; past the last line:
    an empty line). Unlike pygls's conversion, POSITION is never modified."""
    lines = document_lines(document)
    if position.line >= len(lines):
        return Position(position.line, 0)
    codec = document.position_codec
    units = column = 0
    for char in lines[position.line]:
        if units >= position.character:
            break
        units += codec.client_num_units(char)
        column += 1
    return Position(position.line, column)


def to_lsp_diagnostic(document: TextDocument, diagnostic: Diagnostic) -> types.Diagnostic:
    """One engine diagnostic as the editor shows it: same code, message and place."""
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=document.uri, range=to_client_range(document, r.range)),
            message=r.message,
        )
        for r in diagnostic.related
    ]
    return types.Diagnostic(
        range=to_client_range(document, diagnostic.range),
        message=diagnostic.message,
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        source=SOURCE,
        related_information=related or None,
    )
