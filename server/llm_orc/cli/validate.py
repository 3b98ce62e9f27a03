"""`llm-orc validate [FILE|NAME]...`: compiler-style diagnostics, exit 1 on any error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llm_orc.cli.main import EXIT_ERROR, EXIT_OK
from llm_orc.config.issues import read_text
from llm_orc.config.workspace import Workspace
from llm_orc.errors import display_path


def run_command(args: argparse.Namespace) -> int:
    workspace = Workspace.discover()
    targets: list[str] = args.targets
    paths = (
        [path for target in targets for path in workspace.ensemble_paths(target)]
        if targets
        else [entry.path for entry in workspace.library.entries.values()]
    )
    issues = list(workspace.config_issues)
    if not targets:
        issues.extend(workspace.library.issues)
    errors = warnings = 0
    for issue in issues:
        print(issue.format())
        errors += issue.is_error
        warnings += not issue.is_error
    for path in paths:
        e, w = _check(workspace, path)
        errors, warnings = errors + e, warnings + w
    noun = "ensemble" if len(paths) == 1 else "ensembles"
    print(f"checked {len(paths)} {noun}: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_ERROR if errors else EXIT_OK


def _check(workspace: Workspace, path: Path) -> tuple[int, int]:
    shown = display_path(path)
    text, issue = read_text(path)
    if text is None:
        if issue is not None:
            print(issue.format())
        return 1, 0
    report = workspace.validate_text(text)
    for diagnostic in report.diagnostics:
        print(diagnostic.format(shown))
    errors = len(report.errors)
    return errors, len(report.diagnostics) - errors
