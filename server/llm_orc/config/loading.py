"""Loading one ensemble by name or path, for library users."""

from __future__ import annotations

from pathlib import Path

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.workspace import Workspace


def load_ensemble(ref: str | Path, *, start: Path | None = None) -> Ensemble:
    """The validated ensemble REF: a YAML file path, or a name from the config hierarchy of
    START (default: the working directory). Raises InvalidEnsembleError on any error."""
    return Workspace.discover(start).load_ensemble(str(ref))
