"""Assertions that read like the editor shows a diagnostic: code and (line, col, line, col)."""

from __future__ import annotations

from llm_orc.validation import Diagnostic, Range, ValidationReport

Span = tuple[int, int, int, int]


def span(range_: Range) -> Span:
    return (range_.start.line, range_.start.column, range_.end.line, range_.end.column)


def listing(report: ValidationReport) -> str:
    return "\n".join(
        f"  {d.code} {span(d.range)} {d.severity.value}: {d.message}" for d in report.diagnostics
    )


def assert_diag(report: ValidationReport, code: str, at: Span) -> Diagnostic:
    """The one diagnostic with CODE at exactly AT (0-based lines and code-point columns)."""
    found = [d for d in report.diagnostics if d.code == code and span(d.range) == at]
    assert len(found) == 1, f"expected one {code} at {at}, got:\n{listing(report)}"
    return found[0]


def codes(report: ValidationReport) -> list[str]:
    return [d.code for d in report.diagnostics]


def assert_only(report: ValidationReport, *expected: str) -> None:
    """The report holds exactly these codes (in order of position), nothing else."""
    assert codes(report) == list(expected), listing(report)
