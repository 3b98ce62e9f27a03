"""The configuration in effect for a folder: its locations, profiles and ensembles.

This is what the CLI builds for the working directory and what the language server builds for a
workspace folder; loading an ensemble always goes through the one validator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from llm_orc.config.ensemble_library import EnsembleLibrary, find_ensembles
from llm_orc.config.issues import read_text
from llm_orc.config.locations import ConfigLocations
from llm_orc.config.profile_loading import ProfileCatalog, load_profiles
from llm_orc.config.profiles import ModelProfile
from llm_orc.errors import EnsembleNotFoundError, InvalidEnsembleError, LlmOrcError, display_path
from llm_orc.providers.registry import provider_names
from llm_orc.validation import ValidationReport, validate_ensemble_text

if TYPE_CHECKING:
    from llm_orc.config.ensemble import Ensemble


@dataclass
class Workspace:
    """Locations, profiles and ensembles for one folder, each read once, when first needed."""

    locations: ConfigLocations

    @classmethod
    def discover(cls, start: Path | None = None, env: Mapping[str, str] | None = None) -> Workspace:
        return cls(ConfigLocations.discover(start, env))

    @cached_property
    def profile_catalog(self) -> ProfileCatalog:
        return load_profiles(self.locations)

    @property
    def profiles(self) -> dict[str, ModelProfile]:
        return self.profile_catalog.profiles

    @cached_property
    def library(self) -> EnsembleLibrary:
        return find_ensembles(self.locations)

    def forget_ensembles(self) -> None:
        """Find the ensembles again when next asked (files were added, moved or removed)."""
        self.__dict__.pop("library", None)

    def validate_text(self, text: str) -> ValidationReport:
        """Validate ensemble text against this workspace's profiles and the installed providers."""
        catalog = self.profile_catalog
        unloaded = sorted({display_path(issue.path) for issue in catalog.issues if issue.is_error})
        return validate_ensemble_text(
            text, profiles=catalog.profiles, providers=provider_names(), unloaded=unloaded
        )

    def find_path(self, ref: str) -> Path:
        """The file for REF: an existing path, else the ensemble of that name."""
        candidate = Path(ref)
        if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
            if candidate.is_file():
                return candidate
            raise LlmOrcError(f"{ref}: no such file")
        entry = self.library.entries.get(ref)
        if entry is None:
            raise EnsembleNotFoundError(ref, self.library.names())
        return entry.path

    def load_ensemble(self, ref: str) -> Ensemble:
        """The validated ensemble for REF (a name or a path). Raises InvalidEnsembleError."""
        path = self.find_path(ref)
        return self.load_ensemble_file(path)

    def load_ensemble_file(self, path: Path) -> Ensemble:
        from llm_orc.config.ensemble import Ensemble

        text, issue = read_text(path)
        if text is None:
            message = issue.diagnostic.message if issue else "cannot read file"
            raise LlmOrcError(f"{display_path(path)}: {message}")
        report = self.validate_text(text)
        if not report.ok:
            raise InvalidEnsembleError(display_path(path), report.diagnostics)
        return Ensemble.from_document(report.data, source=path)
