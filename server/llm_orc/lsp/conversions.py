"""Engine positions (code points) to LSP positions (the client's units, UTF-16 in VS Code)."""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import ServerTextPosition, ServerTextRange, TextDocument

from llm_orc.validation.diagnostics import Diagnostic, Position, Range, Severity

SOURCE = "llm-orc"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def to_client_range(document: TextDocument, range_: Range) -> types.Range:
    server_range = ServerTextRange(
        ServerTextPosition(range_.start.line, range_.start.column),
        ServerTextPosition(range_.end.line, range_.end.column),
    )
    return document.range_to_client_units(server_range)


def from_client_position(document: TextDocument, position: types.Position) -> Position:
    server = document.position_from_client_units(position)
    return Position(server.line, server.character)


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
