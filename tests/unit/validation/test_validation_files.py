"""Whole files (the public llm-orc format and our own), and ensembles built in code."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from diagnostic_asserts import assert_only, codes, listing, span

from llm_orc.config.profiles import builtin_profiles
from llm_orc.validation import (
    Severity,
    validate_ensemble_data,
    validate_ensemble_text,
    validate_profiles_text,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "validation"
PROVIDERS = ["local", "scripted"]


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_public_format_ensemble_validates_without_any_diagnostic() -> None:
    text = read("public-format-review.yaml")
    report = validate_ensemble_text(text, profiles=builtin_profiles(), providers=PROVIDERS)
    assert report.diagnostics == [], listing(report)
    assert report.ok
    assert report.data == yaml.safe_load(text)


def test_public_format_ignored_keys_are_only_warnings() -> None:
    report = validate_ensemble_text(
        read("public-format-ignored-keys.yaml"), profiles=builtin_profiles(), providers=PROVIDERS
    )
    assert report.ok, listing(report)
    assert report.errors == []
    assert_only(report, "ignored-key", "ignored-key", "ignored-key", "ignored-key")
    assert {d.severity for d in report.diagnostics} == {Severity.WARNING}
    keyed = [span(d.range)[:2] for d in report.diagnostics]
    assert keyed == [(4, 0), (5, 0), (6, 0), (12, 4)]


def test_public_format_config_validates() -> None:
    report = validate_profiles_text(read("public-format-config.yaml"))
    assert report.diagnostics == [], listing(report)
    with_providers = validate_profiles_text(read("public-format-config.yaml"), providers=PROVIDERS)
    assert codes(with_providers) == ["unknown-provider", "unknown-provider"]


def test_own_format_ensemble_validates() -> None:
    report = validate_ensemble_text(
        read("own-format-pipeline.yaml"), profiles=builtin_profiles(), providers=PROVIDERS
    )
    assert report.diagnostics == [], listing(report)


ENSEMBLE: dict[str, Any] = {
    "name": "built-in-code",
    "agents": [
        {"name": "a", "model_profile": "default"},
        {"name": "b", "model_profile": "default", "depends_on": ["a"]},
    ],
}


def test_data_built_in_code_is_valid() -> None:
    report = validate_ensemble_data(ENSEMBLE, profiles=builtin_profiles(), providers=PROVIDERS)
    assert report.diagnostics == []
    assert report.data is ENSEMBLE


def test_data_built_in_code_gets_the_same_checks_without_positions() -> None:
    data = copy.deepcopy(ENSEMBLE)
    data["agents"][0]["depends_on"] = ["b"]
    data["agents"][1]["temprature"] = 1
    data["agents"][1]["model_profile"] = "nope"
    report = validate_ensemble_data(data, profiles=builtin_profiles())
    assert sorted(codes(report)) == [
        "dependency-cycle",
        "dependency-cycle",
        "unknown-key",
        "unknown-profile",
    ]
    assert {span(d.range) for d in report.diagnostics} == {(0, 0, 0, 0)}
    cycle = next(d for d in report.diagnostics if d.code == "dependency-cycle")
    assert cycle.message == "dependency cycle: a -> b -> a"
    duplicate = validate_ensemble_data({"name": "x", "agents": [{"name": "a"}, {"name": "a"}]})
    [diagnostic] = duplicate.diagnostics
    assert diagnostic.message == "duplicate agent name 'a'; agent names must be unique"


def test_report_is_sorted_by_position() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: a\n"
        "    depends_on: [zz]\n"
        "    temprature: 1\n"
        "  - name: a\n"
        "bogus: 1\n"
    )
    report = validate_ensemble_text(text)
    starts = [span(d.range)[:2] for d in report.diagnostics]
    assert starts == sorted(starts)
    assert codes(report) == ["missing-dependency", "unknown-key", "duplicate-agent", "ignored-key"]
