"""How the CLI reports problems: one line each on standard error."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from llm_orc.config.issues import ConfigIssue
from llm_orc.errors import InvalidEnsembleError, LlmOrcError


def print_error(error: LlmOrcError) -> None:
    if isinstance(error, InvalidEnsembleError):
        for diagnostic in error.diagnostics:
            print(diagnostic.format(error.path), file=sys.stderr)
        count = sum(1 for d in error.diagnostics if d.is_error)
        print(f"llm-orc: error: {error.path} has {_plural(count, 'error')}", file=sys.stderr)
        return
    print(f"llm-orc: error: {error}", file=sys.stderr)


def print_issues(issues: Iterable[ConfigIssue]) -> None:
    for issue in issues:
        print(issue.format(), file=sys.stderr)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
