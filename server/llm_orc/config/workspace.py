"""The configuration in effect for a folder: its locations, profiles and ensembles.

This is what the CLI builds for the working directory and what the language server builds for a
workspace folder; loading an ensemble always goes through the one validator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from llm_orc.config.ensemble_library import EnsembleLibrary, find_ensembles
from llm_orc.config.issues import ConfigIssue, file_issue, read_text
from llm_orc.config.locations import ConfigLocations
from llm_orc.config.profile_loading import ProfileCatalog, load_profiles
from llm_orc.config.profiles import ModelProfile
from llm_orc.errors import EnsembleNotFoundError, InvalidEnsembleError, LlmOrcError, display_path
from llm_orc.providers.registry import provider_names
from llm_orc.validation import ValidationReport, validate_ensemble_text
from llm_orc.validation.diagnostics import Diagnostic
from llm_orc.validation.yaml_index import parse_yaml

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

    @cached_property
    def unloaded_profiles(self) -> dict[str, frozenset[str] | None]:
        """The configuration files that failed to load (as shown), each with the profile names
        it defines (None: it cannot be told, e.g. the YAML does not parse)."""
        failed = {issue.path for issue in self.profile_catalog.issues if issue.is_error}
        return {display_path(path): _defined_names(path) for path in sorted(failed)}

    @cached_property
    def config_issues(self) -> list[ConfigIssue]:
        """Every problem of the configuration: its files' issues, then each profile whose
        local model file does not exist (on the profile's `model` value)."""
        issues = list(self.profile_catalog.issues)
        for profile in sorted(self.profiles.values(), key=lambda p: (p.source, p.name)):
            if not profile.source.startswith("<") and _missing_model(
                profile.provider, profile.model
            ):
                issues.append(_missing_model_issue(profile))
        return issues

    def validate_text(
        self,
        text: str,
        *,
        wait_for_prices: bool = True,
        previous: ValidationReport | None = None,
        for_edits: bool = False,
    ) -> ValidationReport:
        """Validate ensemble text against this workspace's profiles and the installed providers;
        an agent whose profile may come from a file that failed to load is an error too, so it
        never runs silently on another definition (the built-in one). WAIT_FOR_PRICES,
        PREVIOUS (the report on the text before an edit) and FOR_EDITS as for
        `validate_ensemble_text`."""
        catalog = self.profile_catalog
        unloaded = self.unloaded_profiles
        report = validate_ensemble_text(
            text,
            profiles=catalog.profiles,
            providers=provider_names(),
            unloaded=sorted(unloaded),
            wait_for_prices=wait_for_prices,
            previous=previous,
            for_edits=for_edits,
        )
        if report.data is None:
            return report
        extra = model_file_diagnostics(report, catalog.profiles)
        if unloaded:
            extra += unloaded_profile_diagnostics(report, catalog.profiles, unloaded)
        if not extra:
            return report
        diagnostics = sorted(
            [*report.diagnostics, *extra], key=lambda d: (d.range.start, d.range.end)
        )
        return replace(report, diagnostics=diagnostics)

    def ensemble_paths(self, ref: str) -> list[Path]:
        """The ensemble files REF names: a folder's `*.yaml`/`*.yml` files (recursively), else
        the one file of `find_path`."""
        folder = Path(ref)
        if folder.is_dir():
            return sorted(
                path
                for path in folder.rglob("*")
                if path.suffix in (".yaml", ".yml") and path.is_file()
            )
        return [self.find_path(ref)]

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

    def load_ensemble_file(self, path: Path, *, wait_for_prices: bool = True) -> Ensemble:
        """The validated ensemble in PATH (its warnings unread, so WAIT_FOR_PRICES False spares
        the caller the price table's import: the run loads it in a thread when it needs it)."""
        return self.load_checked(path, wait_for_prices=wait_for_prices)[0]

    def load_checked(
        self, path: Path, *, wait_for_prices: bool = True
    ) -> tuple[Ensemble, list[Diagnostic]]:
        """The validated ensemble in PATH and its warnings (for the caller to show before it
        runs it; WAIT_FOR_PRICES as for `validate_text`). Raises InvalidEnsembleError."""
        from llm_orc.config.ensemble import Ensemble

        text, issue = read_text(path)
        if text is None:
            message = issue.diagnostic.message if issue else "cannot read file"
            raise LlmOrcError(f"{display_path(path)}: {message}")
        report = self.validate_text(text, wait_for_prices=wait_for_prices)
        if not report.ok:
            raise InvalidEnsembleError(display_path(path), report.diagnostics)
        return Ensemble.from_document(report.data, source=path), report.diagnostics


def unloaded_profile_diagnostics(
    report: ValidationReport,
    profiles: Mapping[str, ModelProfile],
    unloaded: Mapping[str, frozenset[str] | None],
) -> list[Diagnostic]:
    """profile-not-loaded: an agent's profile (its `model_profile`, `default` when it names
    none, its `fallback_model_profile`) that a file which failed to load defines, or may
    define. Unknown profiles are left to the unknown-profile error, which names those files."""
    out: list[Diagnostic] = []
    for agent in report.agents:
        uses: list[tuple[str, tuple[str | int, ...]]] = []
        own = agent.body.get("model_profile")
        if isinstance(own, str):
            uses.append((own, agent.path("model_profile")))
        elif own is None and not isinstance(agent.body.get("model"), str):
            uses.append(("default", agent.path("name")))
        fallback = agent.body.get("fallback_model_profile")
        if isinstance(fallback, str):
            uses.append((fallback, agent.path("fallback_model_profile")))
        for name, at in uses:
            if name not in profiles:
                continue
            files = [f for f, names in unloaded.items() if names is None or name in names]
            if not files:
                continue
            verb = "defines" if all(unloaded[f] is not None for f in files) else "may define"
            text = (
                f"profile '{name}' cannot be used: {', '.join(files)} {verb} it but did not load "
                f"because of errors; fix it, or the agent would run on {_other(profiles[name])}"
            )
            out.append(Diagnostic("profile-not-loaded", text, report.source.value_range(at)))
    return out


def model_file_diagnostics(
    report: ValidationReport, profiles: Mapping[str, ModelProfile]
) -> list[Diagnostic]:
    """missing-model: an agent that would run the local provider on a `.gguf` file that does
    not exist, on the agent's `model` (or the `model_profile` that brings it)."""
    out: list[Diagnostic] = []
    for agent in report.agents:
        own_model, own_provider = agent.body.get("model"), agent.body.get("provider")
        name = agent.body.get("model_profile", "default")
        profile = profiles.get(name) if isinstance(name, str) else None
        provider = own_provider if isinstance(own_provider, str) else None
        provider = provider or (profile.provider if profile else None)
        model = own_model if isinstance(own_model, str) else (profile.model if profile else None)
        if not _missing_model(provider, model):
            continue
        if isinstance(own_model, str):
            at, text = agent.path("model"), f"model file '{model}' does not exist"
        elif profile is not None:
            key = "model_profile" if "model_profile" in agent.body else "name"
            at = agent.path(key)
            text = (
                f"profile '{profile.name}' ({display_path(profile.source)}) runs model file "
                f"'{model}', which does not exist"
            )
        else:
            continue
        out.append(Diagnostic("missing-model", text, report.source.value_range(at)))
    return out


def _missing_model(provider: str | None, model: str | None) -> bool:
    """The local provider would be asked to run a `.gguf` file that is not there."""
    if provider != "local" or not model or not model.lower().endswith(".gguf"):
        return False
    return not Path(model).expanduser().is_file()


def _missing_model_issue(profile: ModelProfile) -> ConfigIssue:
    path = Path(profile.source)
    message = (
        f"profile '{profile.name}': model file '{profile.model}' does not exist; give 'model' "
        "the path of a GGUF file, or the embedded model's name, smollm2-135m-instruct"
    )
    issue = file_issue(path, "missing-model", message)
    text, _ = read_text(path)
    if text is None:
        return issue
    source = parse_yaml(text).source
    for at in (("model_profiles", profile.name, "model"), ("model",)):
        if source.has(at):
            return ConfigIssue(path, replace(issue.diagnostic, range=source.value_range(at)))
    return issue


def _other(profile: ModelProfile) -> str:
    """The definition of PROFILE that is in effect instead, as a user would name it."""
    if profile.source.startswith("<"):
        return f"the built-in '{profile.name}'"
    return f"the '{profile.name}' of {display_path(profile.source)}"


def _defined_names(path: Path) -> frozenset[str] | None:
    """The profile names a profiles file defines, read from its YAML's structure alone (so a
    value that cannot be constructed, such as `!!bool maybe`, does not hide them); None when
    even that cannot be read."""
    text, _ = read_text(path) if path.is_file() else (None, None)
    if text is None:
        return None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    top = _scalar_keys(root)
    if top is None:
        return None
    if "name" in top and "model_profiles" not in top:
        name = top["name"]
        return frozenset({name.value}) if isinstance(name, yaml.ScalarNode) else None
    mapping = _scalar_keys(top.get("model_profiles"))
    return None if mapping is None else frozenset(mapping)


def _scalar_keys(node: yaml.Node | None) -> dict[str, yaml.Node] | None:
    """A mapping node's plain keys and their value nodes; None for anything else."""
    if not isinstance(node, yaml.MappingNode):
        return None
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}
