"""Loading model profiles from every tier, with the file each profile came from.

Order (later replaces earlier profiles of the same name): built-ins, global `config.yaml`,
global `profiles/*.yaml`, local `config.yaml`, local `profiles/*.yaml`, then every `*.local.yaml`
override in the same tier order. What cannot be read (a folder named like a profiles file, an
unreadable `profiles/` folder or `config.yaml`, a broken link) is reported, never skipped
silently, and so is a cycle of `fallback_model_profile`s.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from llm_orc.config.issues import ConfigIssue, file_issue, read_text
from llm_orc.config.locations import ConfigLocations
from llm_orc.config.profiles import BUILTIN_SOURCE, ModelProfile, builtin_profiles
from llm_orc.validation import Severity, find_cycles, validate_profiles_text
from llm_orc.validation.yaml_index import SourceMap

_CONFIG_FILES = ("config.yaml", "config.local.yaml")
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class ProfileCatalog:
    """The effective profiles, the files they were read from, and the problems found."""

    profiles: dict[str, ModelProfile]
    files: list[Path] = field(default_factory=list)
    issues: list[ConfigIssue] = field(default_factory=list)
    overridden: list[ModelProfile] = field(default_factory=list)
    """Profiles replaced by a later definition of the same name (for `config show`)."""


def _is_override(path: Path) -> bool:
    return path.name.endswith((".local.yaml", ".local.yml"))


def _tier_files(root: Path, issues: list[ConfigIssue]) -> list[Path]:
    """The profile-bearing files of one tier; what cannot be read goes to ISSUES."""
    files = [path for name in _CONFIG_FILES if _readable(path := root / name, issues)]
    folder = root / "profiles"
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries if entry.name.endswith(_SUFFIXES))
    except FileNotFoundError:
        return files
    except NotADirectoryError:
        issues.append(file_issue(folder, "unreadable-folder", "is not a folder; no profiles read"))
        return files
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        message = f"cannot read folder: {reason}; the profiles in it are not loaded"
        issues.append(file_issue(folder, "unreadable-folder", message))
        return files
    files.extend(path for name in names if _readable(path := folder / name, issues))
    return files


def _readable(path: Path, issues: list[ConfigIssue]) -> bool:
    """PATH is a file to read; a folder, a broken link or a path that cannot be looked at is an
    issue (a missing file is not: every file here is optional)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            issues.append(file_issue(path, "unreadable-file", "is a broken link; not loaded"))
        return False
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        issues.append(file_issue(path, "unreadable-file", f"cannot read file: {reason}"))
        return False
    if stat.S_ISREG(mode):
        return True
    what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
    issues.append(file_issue(path, "unreadable-file", f"is {what}, not a profiles file; skipped"))
    return False


def profile_files(
    locations: ConfigLocations, issues: list[ConfigIssue] | None = None
) -> list[Path]:
    """Every profile-bearing file in load order (`*.local.yaml` overrides last); what cannot be
    read is added to ISSUES."""
    found = [] if issues is None else issues
    ordered = [path for tier in locations.tiers() for path in _tier_files(tier.root, found)]
    return [p for p in ordered if not _is_override(p)] + [p for p in ordered if _is_override(p)]


def _profiles_in(data: Any, source: Path) -> list[ModelProfile]:
    if not isinstance(data, dict):
        return []
    if "name" in data and "model_profiles" not in data:
        return [ModelProfile.from_mapping(str(data["name"]), data, str(source))]
    mapping = data.get("model_profiles") or {}
    return [
        ModelProfile.from_mapping(str(name), body, str(source))
        for name, body in mapping.items()
        if isinstance(body, dict)
    ]


def load_profiles(locations: ConfigLocations) -> ProfileCatalog:
    """Merge every tier's profiles over the built-ins; invalid files are reported and not used.

    Provider availability is not checked here: a profile for a provider that is not installed is
    reported where an ensemble uses it, so one such profile does not disable a whole file.
    """
    profiles = builtin_profiles()
    catalog = ProfileCatalog(profiles=profiles)
    sources: dict[str, SourceMap] = {}
    for path in profile_files(locations, catalog.issues):
        catalog.files.append(path)
        text, issue = read_text(path)
        if issue is not None or text is None:
            catalog.issues.extend([issue] if issue else [])
            continue
        report = validate_profiles_text(text)
        catalog.issues.extend(ConfigIssue(path, d) for d in report.diagnostics)
        if not report.ok:
            continue
        sources[str(path)] = report.source
        for profile in _profiles_in(report.data, path):
            previous = profiles.get(profile.name)
            if previous is not None:
                catalog.overridden.append(previous)
            profiles[profile.name] = profile
    catalog.issues.extend(_fallback_cycles(profiles, sources))
    return catalog


def _fallback_cycles(
    profiles: dict[str, ModelProfile], sources: dict[str, SourceMap]
) -> list[ConfigIssue]:
    """A warning on each `fallback_model_profile` of a cycle (p -> q -> p): a fallback is tried
    once and never followed further, so such a chain does not do what it reads as."""
    graph = {
        name: [profile.fallback_model_profile] if profile.fallback_model_profile else []
        for name, profile in profiles.items()
    }
    issues: list[ConfigIssue] = []
    for cycle in find_cycles(graph):
        message = "fallback cycle: " + " -> ".join((*cycle, cycle[0]))
        if len(cycle) == 1:
            message += "; a profile cannot fall back to itself"
        else:
            message += "; each fallback is tried once and never followed further"
        for name in cycle:
            profile = profiles[name]
            if profile.source == BUILTIN_SOURCE:
                continue
            source = sources.get(profile.source)
            at = _fallback_path(profile, source)
            where = source.value_range(at) if source is not None else None
            issue = file_issue(Path(profile.source), "fallback-cycle", message, Severity.WARNING)
            if where is not None:
                issue = ConfigIssue(issue.path, replace(issue.diagnostic, range=where))
            issues.append(issue)
    return issues


def _fallback_path(profile: ModelProfile, source: SourceMap | None) -> tuple[str, ...]:
    """Where PROFILE's fallback_model_profile is written in its file."""
    nested = ("model_profiles", profile.name, "fallback_model_profile")
    if source is not None and source.has(nested):
        return nested
    return ("fallback_model_profile",)
