"""Which open documents are ensembles or configuration, and the workspace each belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from llm_orc.config.locations import LOCAL_DIR_NAME, ConfigLocations, global_config_dir
from llm_orc.config.workspace import Workspace

_YAML = (".yaml", ".yml")


class DocumentKind(StrEnum):
    ENSEMBLE = "ensemble"
    """An ensemble file: under an `ensembles/` folder of a config tier, or `*.ensemble.yaml`."""
    PROFILES = "profiles"
    """A `config.yaml` or `profiles/*.yaml` of a config tier."""
    OTHER = "other"


def _config_roots(path: Path) -> list[Path]:
    roots = [parent for parent in path.parents if parent.name == LOCAL_DIR_NAME]
    global_dir = global_config_dir()
    if global_dir in path.parents:
        roots.append(global_dir)
    return roots


def document_kind(path: Path) -> DocumentKind:
    """What the file at PATH is to llm-orc (decided from its path alone: cheap)."""
    name = path.name
    if not name.endswith(_YAML):
        return DocumentKind.OTHER
    if name.endswith((".ensemble.yaml", ".ensemble.yml")):
        return DocumentKind.ENSEMBLE
    for root in _config_roots(path):
        relative = path.relative_to(root).parts
        if relative[0] == "ensembles" and len(relative) > 1:
            return DocumentKind.ENSEMBLE
        if len(relative) == 1 and name.startswith("config."):
            return DocumentKind.PROFILES
        if relative[0] == "profiles" and len(relative) == 2:
            return DocumentKind.PROFILES
    return DocumentKind.OTHER


@dataclass
class WorkspaceCache:
    """One `Workspace` per configuration (local `.llm-orc/` folder, or none), built when first
    needed and dropped when configuration files change."""

    _by_local_dir: dict[Path | None, Workspace]

    def __init__(self) -> None:
        self._by_local_dir = {}

    def for_path(self, path: Path) -> Workspace:
        """The configuration in effect for the file at PATH (its folder's, as the CLI sees it)."""
        locations = ConfigLocations.discover(path.parent)
        workspace = self._by_local_dir.get(locations.local_dir)
        if workspace is None:
            workspace = Workspace(locations)
            self._by_local_dir[locations.local_dir] = workspace
        return workspace

    def notice_ensemble(self, path: Path) -> None:
        """An ensemble file was opened: if its workspace's list of ensembles was read before the
        file existed, read the list again (clients without file watching never tell us)."""
        workspace = self._by_local_dir.get(ConfigLocations.discover(path.parent).local_dir)
        if workspace is None or "library" not in workspace.__dict__:
            return  # not read yet: it will be read with the file in it
        target = path.resolve()
        if all(entry.path.resolve() != target for entry in workspace.library.entries.values()):
            workspace.forget_ensembles()

    def invalidate(self) -> None:
        """Forget every workspace: profiles and ensembles are read again when next needed."""
        self._by_local_dir.clear()
