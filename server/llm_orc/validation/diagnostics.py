"""Located diagnostics: the one shape every validation problem takes.

Positions are 0-based lines and columns counted in Unicode code points; renderers convert
(the CLI prints 1-based, the language server converts to the client's UTF-16 units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True, order=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True, slots=True, order=True)
class Range:
    start: Position
    end: Position

    @classmethod
    def at(cls, line: int, column: int, end_line: int, end_column: int) -> Range:
        return cls(Position(line, column), Position(end_line, end_column))


@dataclass(frozen=True, slots=True)
class RelatedLocation:
    """Another place that explains a diagnostic (the first of two duplicates, a cycle member)."""

    range: Range
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    range: Range
    severity: Severity = Severity.ERROR
    related: tuple[RelatedLocation, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self, path: str) -> str:
        """Compiler-style one line: ``path:line:col: error[code]: message`` (1-based)."""
        start = self.range.start
        return (
            f"{path}:{start.line + 1}:{start.column + 1}: "
            f"{self.severity.value}[{self.code}]: {self.message}"
        )
