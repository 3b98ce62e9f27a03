"""Loading model profiles from every tier, with the file each profile came from.

Order (later replaces earlier profiles of the same name): built-ins, global `config.yaml`,
global `profiles/*.yaml`, local `config.yaml`, local `profiles/*.yaml`, then every `*.local.yaml`
override in the same tier order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_orc.config.issues import ConfigIssue, read_text
from llm_orc.config.locations import ConfigLocations
from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.validation import validate_profiles_text


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


def _tier_files(root: Path) -> list[Path]:
    files = [root / "config.yaml", root / "config.local.yaml"]
    profile_dir = root / "profiles"
    if profile_dir.is_dir():
        files.extend(sorted([*profile_dir.glob("*.yaml"), *profile_dir.glob("*.yml")]))
    return [path for path in files if path.is_file()]


def profile_files(locations: ConfigLocations) -> list[Path]:
    """Every profile-bearing file in load order (`*.local.yaml` overrides last)."""
    ordered = [path for tier in locations.tiers() for path in _tier_files(tier.root)]
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
    for path in profile_files(locations):
        catalog.files.append(path)
        text, issue = read_text(path)
        if issue is not None or text is None:
            catalog.issues.extend([issue] if issue else [])
            continue
        report = validate_profiles_text(text)
        catalog.issues.extend(ConfigIssue(path, d) for d in report.diagnostics)
        if not report.ok:
            continue
        for profile in _profiles_in(report.data, path):
            previous = profiles.get(profile.name)
            if previous is not None:
                catalog.overridden.append(previous)
            profiles[profile.name] = profile
    return catalog
