"""Unknown keys, as the public llm-orc treats them: a near miss of a known key is an error with
"did you mean", any other key is someone's own metadata, ignored with a warning."""

from __future__ import annotations

import pytest
from diagnostic_asserts import assert_diag, assert_only, listing

from llm_orc.config.ensemble import Ensemble
from llm_orc.validation import Severity, validate_ensemble_text, validate_profiles_text
from llm_orc.validation.wording import near_miss

PROJECT_METADATA = """\
name: skills
topaz_skill: review
serves: [editors, ci]
seat_contract: {inputs: code, outputs: notes}
output_substrate: markdown
output_schema: {type: object}
agents:
  - name: reviewer
    role: senior
    model_profile: default
"""


def test_a_projects_own_top_level_metadata_is_ignored_with_warnings_and_the_ensemble_builds() -> (
    None
):
    report = validate_ensemble_text(PROJECT_METADATA)
    assert report.ok, listing(report)
    assert_only(report, *["ignored-key"] * 6)
    assert {d.severity for d in report.diagnostics} == {Severity.WARNING}
    topaz = assert_diag(report, "ignored-key", (1, 0, 1, 11))
    assert topaz.message == "unknown key 'topaz_skill' in the ensemble is ignored"
    role = assert_diag(report, "ignored-key", (8, 4, 8, 8))
    assert role.message == "unknown key 'role' in agent 'reviewer' is ignored"
    ensemble = Ensemble.from_document(report.data)
    assert [agent.name for agent in ensemble.agents] == ["reviewer"]


@pytest.mark.parametrize(
    ("line", "key", "meant"),
    [
        ("    temprature: 0.2", "temprature", "temperature"),
        ("    depend_on: []", "depend_on", "depends_on"),
        ("    Max-Tokens: 10", "Max-Tokens", "max_tokens"),
        ("    model_profiles: default", "model_profiles", "model_profile"),
        ("    sytem_prompt: hi", "sytem_prompt", "system_prompt"),
    ],
)
def test_a_near_miss_of_an_agent_key_is_an_error_with_did_you_mean(
    line: str, key: str, meant: str
) -> None:
    report = validate_ensemble_text(f"name: x\nagents:\n  - name: a\n{line}\n")
    diagnostic = assert_diag(report, "unknown-key", (3, 4, 3, 4 + len(key)))
    assert diagnostic.message == f"unknown key '{key}' in agent 'a'; did you mean '{meant}'?"
    assert diagnostic.severity is Severity.ERROR


def test_a_near_miss_at_the_top_is_an_error() -> None:
    report = validate_ensemble_text("name: x\nagnets:\n  - name: a\n")
    diagnostic = assert_diag(report, "unknown-key", (1, 0, 1, 6))
    assert diagnostic.message.endswith("did you mean 'agents'?")
    assert not report.ok


def test_profile_keys_follow_the_same_rule() -> None:
    text = (
        "model_profiles:\n"
        "  fast:\n"
        "    model: m\n"
        "    provider: local\n"
        "    temprature: 0.1\n"
        "    owner: team-a\n"
    )
    report = validate_profiles_text(text)
    assert_diag(report, "unknown-key", (4, 4, 4, 14))
    owner = assert_diag(report, "ignored-key", (5, 4, 5, 9))
    assert owner.message == "unknown key 'owner' in profile 'fast' is ignored"
    single = validate_profiles_text("name: p\nmodel: m\nprovider: local\nteam: a\n")
    assert single.ok
    assert_only(single, "ignored-key")


def test_config_sections_of_other_tools_stay_quiet_but_a_near_miss_of_model_profiles_is_not() -> (
    None
):
    quiet = validate_profiles_text("serving: {port: 1}\nperformance: {}\nmodel_profiles: {}\n")
    assert quiet.diagnostics == [], listing(quiet)
    typo = validate_profiles_text("model_profile:\n  p: {model: m, provider: local}\n")
    diagnostic = assert_diag(typo, "unknown-key", (0, 0, 0, 13))
    assert diagnostic.message.endswith("did you mean 'model_profiles'?")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("temprature", "temperature"),
        ("agnets", "agents"),
        ("dependson", "depends_on"),
        ("NAME", "name"),
        ("output_substrate", None),
        ("serves", None),
        ("tags", None),  # one edit only for short keys: not 'task'
        ("role", None),
    ],
)
def test_near_miss(word: str, expected: str | None) -> None:
    known = ["name", "task", "agents", "temperature", "depends_on", "output_schema", "retries"]
    assert near_miss(word, known) == expected
