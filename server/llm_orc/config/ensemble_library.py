"""The ensembles found on disk: local `.llm-orc/ensembles/`, global, then the built-in examples.

Each `ensembles/` folder is searched recursively. One file reached twice (a symlink) is one
ensemble. Two files with one name are reported; the winner is deterministic: local over global
over built-in, then the first path in sorted order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from llm_orc.config.issues import ConfigIssue, file_issue, read_text
from llm_orc.config.locations import BUILTIN_ENSEMBLES, ConfigLocations
from llm_orc.errors import display_path
from llm_orc.validation.diagnostics import Severity

_SUFFIXES = (".yaml", ".yml")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _ensemble_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in _SUFFIXES and p.is_file())


def _header(path: Path) -> tuple[str | None, str, ConfigIssue | None]:
    """The ensemble's name and description, read cheaply (no validation)."""
    text, issue = read_text(path)
    if text is None:
        return None, "", issue
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"]:
        description = data.get("description")
        return data["name"], description if isinstance(description, str) else "", None
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
        for path in _ensemble_files(folder):
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
