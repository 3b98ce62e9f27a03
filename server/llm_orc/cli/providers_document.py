"""The `llm-orc providers --output-format json` document (`schema/providers.schema.json`): the
same checks as the text report, as facts a machine can read. It holds no key: credentials are
named by the variables looked at and where one was found."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from llm_orc.config.issues import ConfigIssue
from llm_orc.config.readiness import FAIL, WARN, Check, ProfileReport

SCHEMA_VERSION = 1


def providers_document(
    reports: Sequence[ProfileReport],
    *,
    undefined: Mapping[str, list[str]],
    unloadable: Sequence[tuple[str, str]],
    issues: Iterable[ConfigIssue],
    offline: bool,
) -> dict[str, Any]:
    """The whole document: every profile's report, what cannot run, and why the command fails."""
    cannot_run = [r.profile.name for r in reports if r.used_by and not r.usable]
    cannot_run += list(undefined)
    return {
        "schema_version": SCHEMA_VERSION,
        "ready": not cannot_run and not unloadable,
        "offline": offline,
        "profiles": [profile_entry(report) for report in reports],
        "cannot_run": cannot_run,
        "undefined_profiles": [{"name": n, "used_by": used} for n, used in undefined.items()],
        "unloadable_ensembles": [{"ensemble": ref, "error": error} for ref, error in unloadable],
        "config_issues": [_issue(issue) for issue in issues],
    }


def profile_entry(report: ProfileReport) -> dict[str, Any]:
    """One profile: what was checked, the gaps with what to do, and the text report's lines."""
    profile = report.profile
    unnamed = "not checked: the profile names no provider or no model"
    credentials = report.credentials
    return {
        "name": profile.name,
        "provider": profile.provider,
        "model": profile.model,
        "source": profile.source,
        "used_by": list(report.used_by),
        "usable": report.usable,
        "install": {
            "installed": report.installed,
            "extra": report.extra,
            "reason": _text(report, "provider", unnamed),
        },
        "credentials": {
            "needed": credentials.needed,
            "found": credentials.found,
            "variables": list(credentials.variables),
            "found_in": credentials.found_in,
            "reason": _text(report, "credentials", unnamed),
        },
        "endpoint": {
            "url": report.endpoint,
            "reachable": report.reachable,
            "reason": _text(report, "endpoint", unnamed),
        },
        "model_known": {
            "known": False if not profile.model else report.model_known,
            "reason": _model_reason(report),
        },
        "price": {"known": report.price_known, "reason": _text(report, "price", unnamed)},
        "gaps": [
            {
                "topic": check.topic,
                "severity": "error" if check.state == FAIL else "warning",
                "what_to_do": check.text,
            }
            for check in report.checks
            if check.state in (FAIL, WARN)
        ],
        "checks": [_check(check) for check in report.checks],
    }


def _find(report: ProfileReport, topic: str) -> Check | None:
    return next((check for check in report.checks if check.topic == topic), None)


def _text(report: ProfileReport, topic: str, otherwise: str) -> str:
    found = _find(report, topic)
    return found.text if found is not None else otherwise


def _model_reason(report: ProfileReport) -> str:
    profile = report.profile
    if not profile.model:
        return "the profile names no model: add one"
    found = _find(report, "model")
    if found is not None:
        return found.text
    if not profile.provider:
        return "not checked: the profile names no provider"
    return f"not checked: provider '{profile.provider}' is not asked which models it serves"


def _check(check: Check) -> dict[str, str]:
    return {"state": check.state, "topic": check.topic, "text": check.text}


def _issue(issue: ConfigIssue) -> dict[str, Any]:
    diagnostic = issue.diagnostic
    start = diagnostic.range.start
    return {
        "path": str(issue.path),
        "line": start.line + 1,
        "column": start.column + 1,
        "severity": diagnostic.severity.value,
        "code": diagnostic.code,
        "message": diagnostic.message,
    }
