"""How the CLI reports problems: one line each on standard error."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from llm_orc.config.issues import ConfigIssue
from llm_orc.errors import InvalidEnsembleError, LlmOrcError, display_path

if TYPE_CHECKING:
    from llm_orc.config.ensemble import Ensemble
    from llm_orc.config.workspace import Workspace


def print_error(error: LlmOrcError) -> None:
    if isinstance(error, InvalidEnsembleError):
        for diagnostic in error.diagnostics:
            print(diagnostic.format(error.path), file=sys.stderr)
        count = sum(1 for d in error.diagnostics if d.is_error)
        print(f"llm-orc: error: {error.path} has {_plural(count, 'error')}", file=sys.stderr)
        return
    print(f"llm-orc: error: {error}", file=sys.stderr)


def load_for_run(workspace: Workspace, ref: str) -> Ensemble:
    """The ensemble REF names, for `invoke` and `plan`: the configuration's problems are shown
    first (an error there stops an ensemble that uses what did not load), then the ensemble's
    warnings, exactly as `validate` shows them."""
    print_issues(workspace.config_issues)
    path = workspace.find_path(ref)
    ensemble, diagnostics = workspace.load_checked(path)
    shown = display_path(path)
    for diagnostic in diagnostics:
        print(diagnostic.format(shown), file=sys.stderr)
    return ensemble


def print_issues(issues: Iterable[ConfigIssue]) -> None:
    for issue in issues:
        print(issue.format(), file=sys.stderr)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
