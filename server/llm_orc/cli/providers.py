"""`llm-orc providers` (also `llm-orc config check`): per profile, whether it can run here —
provider installed, credentials found, endpoint reachable, model priced — and what to do about
each gap, as text or (`-o json`) one JSON document. Exit 1 when a profile that an ensemble uses
cannot run."""

from __future__ import annotations

import argparse
import asyncio
import json

from llm_orc.cli.main import EXIT_ERROR, EXIT_OK
from llm_orc.cli.providers_document import providers_document
from llm_orc.cli.reporting import print_issues
from llm_orc.config.ensemble import Ensemble
from llm_orc.config.issues import read_text
from llm_orc.config.readiness import (
    ProfileReport,
    check_profile,
    probe_all,
    profiles_used,
    skip_probes,
)
from llm_orc.config.workspace import Workspace
from llm_orc.errors import LlmOrcError, display_path
from llm_orc.validation import parse_yaml


def run_command(args: argparse.Namespace) -> int:
    workspace = Workspace.discover()
    catalog = workspace.profile_catalog
    issues = [*catalog.issues, *workspace.library.issues]
    print_issues(issues)
    targets: list[str] = list(getattr(args, "ensembles", None) or [])
    ensembles, broken, declared = _ensembles(workspace, targets)
    used = profiles_used([*((e.name, _profile_names(e, workspace)) for e in ensembles), *declared])
    names = sorted(used) if targets else sorted({*catalog.profiles, *used})
    reports: list[ProfileReport] = []
    missing: list[str] = []
    for name in names:
        profile = catalog.profiles.get(name)
        if profile is None:
            missing.append(name)
            continue
        report = check_profile(profile)
        report.used_by = used.get(name, [])
        reports.append(report)
    offline = bool(getattr(args, "offline", False))
    if offline:
        skip_probes(reports)
    else:
        asyncio.run(probe_all(reports))
    unusable = [r.profile.name for r in reports if r.used_by and not r.usable]
    code = EXIT_ERROR if unusable or missing or broken else EXIT_OK
    if getattr(args, "output_format", "text") == "json":
        document = providers_document(
            reports,
            undefined={name: used[name] for name in missing},
            unloadable=broken,
            issues=issues,
            offline=offline,
        )
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return code
    for report in reports:
        _print(report)
    for name in missing:
        print(f"profile '{name}': not defined (used by {', '.join(used[name])})")
    for ref, error in broken:
        print(f"ensemble '{ref}': cannot be loaded: {error}")
    summary = f"{len(reports)} profile(s) checked"
    if unusable or missing:
        summary += f"; cannot run, used by an ensemble: {', '.join([*unusable, *missing])}"
    print(summary)
    return code


def _ensembles(
    workspace: Workspace, targets: list[str]
) -> tuple[list[Ensemble], list[tuple[str, str]], list[tuple[str, list[str]]]]:
    """The ensembles named (default: every one found), each that cannot load (with the first
    line of why), and the profiles those that cannot load still name: often they fail because
    of a profile (its model file is missing, its provider not installed), which is what this
    report is for."""
    loaded: list[Ensemble] = []
    broken: list[tuple[str, str]] = []
    declared: list[tuple[str, list[str]]] = []
    for ref in targets or workspace.library.names():
        try:
            loaded.append(workspace.load_ensemble(ref))
        except LlmOrcError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            broken.append((ref, first))
            names = _declared_profile_names(workspace, ref)
            if names:
                declared.append((ref, names))
    return loaded, broken, declared


def _declared_profile_names(workspace: Workspace, ref: str) -> list[str]:
    """The profiles an ensemble file's agents name, read from its YAML alone (no validation)."""
    try:
        text, _ = read_text(workspace.find_path(ref))
    except LlmOrcError:
        return []
    data = parse_yaml(text).data if text is not None else None
    agents = data.get("agents") if isinstance(data, dict) else None
    names: list[str] = []
    for agent in agents if isinstance(agents, list) else []:
        if not isinstance(agent, dict):
            continue
        profile = agent.get("model_profile")
        names.append(profile if isinstance(profile, str) and profile else "default")
        fallback = agent.get("fallback_model_profile")
        if isinstance(fallback, str) and fallback:
            names.append(fallback)
    return list(dict.fromkeys(names))


def _profile_names(ensemble: Ensemble, workspace: Workspace) -> list[str]:
    """Every profile an ensemble's agents start from or fall back to."""
    names: list[str] = []
    for agent in ensemble.agents:
        names.append(agent.profile_name)
        profile = workspace.profiles.get(agent.profile_name)
        fallback = agent.fallback_model_profile or (
            profile.fallback_model_profile if profile else None
        )
        if fallback:
            names.append(fallback)
    return names


def _print(report: ProfileReport) -> None:
    profile = report.profile
    source = profile.source if profile.source.startswith("<") else display_path(profile.source)
    used = f"; used by {', '.join(report.used_by)}" if report.used_by else ""
    print(f"profile '{profile.name}': {profile.provider}/{profile.model} ({source}{used})")
    for check in report.checks:
        print(f"  {check.state:<4}  {check.topic}: {check.text}")
    if not report.usable:
        print("  => cannot run: fix the FAIL lines above")
