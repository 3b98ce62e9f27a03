"""The ensembles found on disk: local `.llm-orc/ensembles/`, global, then the built-in examples.

Each `ensembles/` folder is searched recursively. One file reached twice (a symlink) is one
ensemble. Two files with one name are reported; the winner is deterministic: local over global
over built-in, then the first path in sorted order. A folder that cannot be read, or an entry
that is not a file (a broken link), is reported; one bad file never hides the others.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from llm_orc.config.issues import ConfigIssue, file_issue, read_text
from llm_orc.config.locations import BUILTIN_ENSEMBLES, ConfigLocations
from llm_orc.errors import display_path
from llm_orc.validation.diagnostics import Severity
from llm_orc.validation.yaml_index import read_header

_SUFFIXES = (".yaml", ".yml")
_HEADER_KEYS = ("name", "description")


@dataclass(frozen=True, slots=True)
class EnsembleEntry:
    """An ensemble file and what its header says."""

    name: str
    path: Path
    tier: str
    description: str = ""


@dataclass(slots=True)
class EnsembleLibrary:
    """Ensembles by name, with the shadowed duplicates and unreadable files reported."""

    entries: dict[str, EnsembleEntry] = field(default_factory=dict)
    shadowed: list[EnsembleEntry] = field(default_factory=list)
    issues: list[ConfigIssue] = field(default_factory=list)

    def names(self) -> list[str]:
        return sorted(self.entries)


def _ensemble_files(folder: Path) -> tuple[list[Path], list[ConfigIssue]]:
    """The YAML files under FOLDER (recursively, not through linked folders) and what could
    not be read there."""
    issues: list[ConfigIssue] = []
    try:
        mode = folder.stat().st_mode
    except FileNotFoundError:
        if folder.is_symlink():
            issues.append(file_issue(folder, "unreadable-folder", "is a broken link"))
        return [], issues
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        issues.append(file_issue(folder, "unreadable-folder", f"cannot read folder: {reason}"))
        return [], issues
    if not stat.S_ISDIR(mode):
        issues.append(file_issue(folder, "unreadable-folder", "is not a folder; no ensembles read"))
        return [], issues

    def unreadable(error: OSError) -> None:
        where = Path(error.filename) if error.filename else folder
        reason = error.strerror or type(error).__name__
        message = f"cannot read folder: {reason}; the ensembles in it are not listed"
        issues.append(file_issue(where, "unreadable-folder", message))

    found: list[Path] = []
    for root, _folders, names in os.walk(folder, onerror=unreadable):
        for name in names:
            path = Path(root) / name
            if path.suffix not in _SUFFIXES:
                continue
            if path.is_file():
                found.append(path)
            else:  # a broken link, a socket, ...
                message = "is not a readable file (a broken link?); skipped"
                issues.append(file_issue(path, "unreadable-file", message, Severity.WARNING))
    return sorted(found), issues


def _header(path: Path) -> tuple[str | None, str, ConfigIssue | None]:
    """The ensemble's name and description, read cheaply (no validation)."""
    text, issue = read_text(path)
    if text is None:
        return None, "", issue
    header = read_header(text, _HEADER_KEYS) or {}
    name = header.get("name")
    if name:
        return name, header.get("description", ""), None
    # Not parseable or nameless: still listed under its file name, so it can be validated.
    return path.stem, "", None


def tier_folders(locations: ConfigLocations) -> list[tuple[str, Path]]:
    """The `ensembles/` folders in precedence order (first wins)."""
    folders: list[tuple[str, Path]] = []
    for tier in reversed(locations.tiers()):
        folders.append((tier.name, tier.root / "ensembles"))
    folders.append(("built-in", BUILTIN_ENSEMBLES))
    return folders


def find_ensembles(locations: ConfigLocations) -> EnsembleLibrary:
    """Every ensemble reachable from these locations."""
    library = EnsembleLibrary()
    seen: set[Path] = set()
    for tier, folder in tier_folders(locations):
        files, problems = _ensemble_files(folder)
        library.issues.extend(problems)
        for path in files:
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            name, description, issue = _header(path)
            if issue is not None:
                library.issues.append(issue)
            if name is None:
                continue
            entry = EnsembleEntry(name=name, path=path, tier=tier, description=description)
            winner = library.entries.get(name)
            if winner is None:
                library.entries[name] = entry
                continue
            library.shadowed.append(entry)
            if tier == winner.tier:
                message = (
                    f"ensemble '{name}' is also defined in {display_path(winner.path)}, "
                    "which is used instead"
                )
                library.issues.append(
                    file_issue(path, "duplicate-ensemble", message, Severity.WARNING)
                )
    return library
