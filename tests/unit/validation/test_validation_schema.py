"""Schema violations: one located diagnostic each, on the key or the value, never the file."""

from __future__ import annotations

from typing import Any

import pytest
from diagnostic_asserts import assert_diag, assert_only

from llm_orc.validation import Severity, validate_ensemble_text, validate_profiles_text
from llm_orc.validation.schema_errors import compiled_schema


def test_missing_agent_name_goes_on_the_first_key_of_the_item() -> None:
    text = "name: x\nagents:\n  - model_profile: default\n    temperature: 1\n"
    report = validate_ensemble_text(text)
    assert_only(report, "missing-key")
    diagnostic = assert_diag(report, "missing-key", (2, 4, 2, 17))
    assert diagnostic.message == "agent 1 is missing required key 'name'"


def test_missing_key_of_the_document_goes_on_its_first_key() -> None:
    report = validate_ensemble_text("description: d\nname: x\n")
    diagnostic = assert_diag(report, "missing-key", (0, 0, 0, 11))
    assert diagnostic.message == "the ensemble is missing required key 'agents'"


def test_provider_required_with_model_alone_goes_on_the_agent_name_key() -> None:
    text = "name: x\nagents:\n  - model: gpt\n    name: writer\n"
    report = validate_ensemble_text(text)
    assert_only(report, "missing-key")
    diagnostic = assert_diag(report, "missing-key", (3, 4, 3, 8))
    assert diagnostic.message == (
        "agent 'writer' is missing required key 'provider' "
        "(needed when 'model' is given without 'model_profile')"
    )


def test_model_with_profile_needs_no_provider() -> None:
    text = "name: x\nagents:\n  - {name: a, model: gpt, model_profile: default}\n"
    assert validate_ensemble_text(text).diagnostics == []


def test_unknown_key_on_the_key_with_did_you_mean() -> None:
    text = "name: x\nagents:\n  - name: a\n    temprature: 0.3\n"
    report = validate_ensemble_text(text)
    assert_only(report, "unknown-key")
    diagnostic = assert_diag(report, "unknown-key", (3, 4, 3, 14))
    assert (
        diagnostic.message == "unknown key 'temprature' in agent 'a'; did you mean 'temperature'?"
    )


def test_unknown_keys_each_get_one_warning_that_they_are_ignored() -> None:
    text = "name: x\nserve: true\nagents:\n  - name: a\nport: 1\n"
    report = validate_ensemble_text(text)
    assert_only(report, "ignored-key", "ignored-key")
    assert report.ok
    first = assert_diag(report, "ignored-key", (1, 0, 1, 5))
    assert first.message == "unknown key 'serve' in the ensemble is ignored"
    assert first.severity is Severity.WARNING
    assert_diag(report, "ignored-key", (4, 0, 4, 4))


def test_did_you_mean_never_suggests_ignored_or_unsupported_keys() -> None:
    text = "name: x\nagents:\n  - name: a\n    scripts: run.py\n"
    diagnostic = assert_diag(validate_ensemble_text(text), "ignored-key", (3, 4, 3, 11))
    assert "did you mean" not in diagnostic.message


def test_ignored_public_format_keys_are_warnings_on_the_key() -> None:
    text = "name: x\ntest_mode: true\nagents:\n  - name: a\n    ollama_format: json\n"
    report = validate_ensemble_text(text)
    assert report.ok
    top = assert_diag(report, "ignored-key", (1, 0, 1, 9))
    assert top.severity is Severity.WARNING
    assert top.message == "'test_mode' is accepted from the public llm-orc format and ignored here"
    agent = assert_diag(report, "ignored-key", (4, 4, 4, 17))
    assert agent.severity is Severity.WARNING


def test_unsupported_agent_kinds_are_errors_on_the_key() -> None:
    text = "name: x\nagents:\n  - name: a\n    script: run.py\n    parameters: {n: 1}\n"
    report = validate_ensemble_text(text)
    assert not report.ok
    script = assert_diag(report, "unsupported-feature", (3, 4, 3, 10))
    assert script.message == (
        "'script' is not supported by this llm-orc (script agents from the public llm-orc format)"
    )
    assert_diag(report, "unsupported-feature", (4, 4, 4, 14))
    assert_only(report, "unsupported-feature", "unsupported-feature")


def test_conditional_dependency_is_unsupported_inside_the_long_form() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: a\n"
        "  - name: b\n"
        "    depends_on:\n"
        "      - agent_name: a\n"
        "        condition: ok\n"
    )
    report = validate_ensemble_text(text)
    assert_only(report, "unsupported-feature")
    assert_diag(report, "unsupported-feature", (6, 8, 6, 17))


def test_wrong_type_goes_on_the_value() -> None:
    text = "name: x\nagents:\n  - name: a\n    temperature: hot\n"
    report = validate_ensemble_text(text)
    diagnostic = assert_diag(report, "invalid-type", (3, 17, 3, 20))
    assert diagnostic.message == "'temperature' must be a number, not 'hot'"


def test_wrong_type_for_text_suggests_quoting() -> None:
    report = validate_ensemble_text("name: 2024-01-01\nagents:\n  - name: yes\n")
    first = assert_diag(report, "invalid-type", (0, 6, 0, 16))
    assert first.message == (
        "'name' must be a string, not 2024-01-01 (quote it to make it text: \"2024-01-01\")"
    )
    second = assert_diag(report, "invalid-type", (2, 10, 2, 13))
    assert second.message.endswith('(quote it to make it text: "yes")')


def test_enum_lists_the_allowed_values_with_did_you_mean() -> None:
    text = "name: x\nagents:\n  - name: a\n    output_format: jsn\n"
    diagnostic = assert_diag(validate_ensemble_text(text), "invalid-value", (3, 19, 3, 22))
    assert diagnostic.message == (
        "'output_format' must be one of 'text', 'json', not 'jsn'; did you mean 'json'?"
    )


@pytest.mark.parametrize(
    ("line", "at", "message"),
    [
        ("    temperature: 2.5", (3, 17, 3, 20), "'temperature' must be at most 2, not 2.5"),
        ("    max_tokens: 0", (3, 16, 3, 17), "'max_tokens' must be at least 1, not 0"),
        (
            "    timeout_seconds: 0",
            (3, 21, 3, 22),
            "'timeout_seconds' must be greater than 0, not 0",
        ),
        ("    model_profile: ''", (3, 19, 3, 21), "'model_profile' must not be empty"),
    ],
)
def test_bounds_go_on_the_value(line: str, at: tuple[int, int, int, int], message: str) -> None:
    report = validate_ensemble_text(f"name: x\nagents:\n  - name: a\n{line}\n")
    assert_only(report, "invalid-value")
    assert assert_diag(report, "invalid-value", at).message == message


def test_empty_agent_list() -> None:
    report = validate_ensemble_text("name: x\nagents: []\n")
    diagnostic = assert_diag(report, "invalid-value", (1, 8, 1, 10))
    assert diagnostic.message == "'agents' must not be empty"


def test_agent_that_is_not_a_mapping() -> None:
    report = validate_ensemble_text("name: x\nagents:\n  - name: a\n  - just text\n")
    diagnostic = assert_diag(report, "invalid-type", (3, 4, 3, 13))
    assert diagnostic.message == "agent 2 must be a mapping, not 'just text'"


def test_document_that_is_not_a_mapping() -> None:
    report = validate_ensemble_text("- a\n- b\n")
    diagnostic = assert_diag(report, "invalid-type", (0, 0, 0, 3))
    assert diagnostic.message == "the ensemble must be a mapping, not a list"


def test_any_of_reports_the_branch_that_fits_the_value() -> None:
    text = "name: x\nagents:\n  - name: a\n    retries: {count: 20}\n"
    report = validate_ensemble_text(text)
    assert_only(report, "invalid-value")
    diagnostic = assert_diag(report, "invalid-value", (3, 21, 3, 23))
    assert diagnostic.message == "'count' must be at most 10, not 20"


def test_any_of_without_a_fitting_branch_uses_the_description() -> None:
    text = "name: x\nagents:\n  - name: a\n    retries: 1.5\n"
    diagnostic = assert_diag(validate_ensemble_text(text), "invalid-type", (3, 13, 3, 16))
    assert diagnostic.message == (
        "'retries' must be an integer or a mapping, not 1.5"
        " — a count, or {count, initial_delay_seconds, max_delay_seconds}"
    )


def test_depends_on_item_of_the_wrong_type() -> None:
    text = "name: x\nagents:\n  - name: a\n  - name: b\n    depends_on: [a, 7]\n"
    report = validate_ensemble_text(text)
    assert_only(report, "invalid-type")
    diagnostic = assert_diag(report, "invalid-type", (4, 20, 4, 21))
    assert diagnostic.message == (
        "item 2 of 'depends_on' must be a string or a mapping, not 7"
        " — an agent name, or {agent_name: NAME} (the public format's long form)"
    )


def test_depends_on_long_form_without_agent_name() -> None:
    text = "name: x\nagents:\n  - name: a\n    depends_on:\n      - {agentname: b}\n"
    report = validate_ensemble_text(text)
    missing = assert_diag(report, "missing-key", (4, 9, 4, 18))
    assert missing.message == "item 1 of 'depends_on' is missing required key 'agent_name'"
    unknown = assert_diag(report, "unknown-key", (4, 9, 4, 18))
    assert "did you mean 'agent_name'?" in unknown.message


def test_profiles_file_with_model_profiles() -> None:
    text = (
        "project: {name: demo}\n"
        "serving: {port: 1}\n"
        "model_profiles:\n"
        "  fast:\n"
        "    model: m\n"
        "    provider: local\n"
        "    tempreture: 1\n"
        "  slow:\n"
        "    max_tokens: many\n"
        "    model: m\n"
        "    provider: local\n"
    )
    report = validate_profiles_text(text)
    unknown = assert_diag(report, "unknown-key", (6, 4, 6, 14))
    assert (
        unknown.message == "unknown key 'tempreture' in profile 'fast'; did you mean 'temperature'?"
    )
    assert_diag(report, "invalid-type", (8, 16, 8, 20))
    assert_only(report, "unknown-key", "invalid-type")


def test_single_profile_file() -> None:
    report = validate_profiles_text("name: fast\nmodel: m\nprovider: local\ncost_per_token: -1\n")
    assert_only(report, "invalid-value")
    assert_diag(report, "invalid-value", (3, 16, 3, 18))


# The compiled fast path must agree with jsonschema, or errors would go unreported.
AGENT = {"name": "a", "model_profile": "default"}
DOCUMENTS: list[Any] = [
    {"name": "x", "agents": [AGENT]},
    {"name": "x", "agents": []},
    {"name": "x"},
    {"name": "", "agents": [AGENT]},
    {"name": "x", "agents": [AGENT], "test_mode": True},
    {"name": "x", "agents": [{**AGENT, "script": "s"}]},
    {"name": "x", "agents": [{"name": "a", "model": "m"}]},
    {"name": "x", "agents": [{"name": "a", "model": "m", "provider": "p"}]},
    {"name": "x", "agents": [{**AGENT, "retries": 3}]},
    {"name": "x", "agents": [{**AGENT, "retries": 11}]},
    {"name": "x", "agents": [{**AGENT, "retries": 2.0}]},
    {"name": "x", "agents": [{**AGENT, "retries": True}]},
    {"name": "x", "agents": [{**AGENT, "retries": {"count": 1, "max_delay_seconds": 3}}]},
    {"name": "x", "agents": [{**AGENT, "retries": {"max_delay_seconds": 3}}]},
    {"name": "x", "agents": [{**AGENT, "depends_on": ["b", {"agent_name": "c"}]}]},
    {"name": "x", "agents": [{**AGENT, "depends_on": [{"agent_name": "c", "when": 1}]}]},
    {"name": "x", "agents": [{**AGENT, "depends_on": "b"}]},
    {"name": "x", "agents": [{**AGENT, "temperature": 2}]},
    {"name": "x", "agents": [{**AGENT, "temperature": 2.01}]},
    {"name": "x", "agents": [{**AGENT, "max_tokens": 1.0}]},
    {"name": "x", "agents": [{**AGENT, "max_tokens": False}]},
    {"name": "x", "agents": [{**AGENT, "on_dependency_failure": "continue"}]},
    {"name": "x", "agents": [{**AGENT, "on_dependency_failure": "stop"}]},
    {"name": "x", "agents": [AGENT], "timeout_seconds": 0},
    {"name": "x", "agents": [AGENT], "max_concurrency": 1},
    {"name": "x", "agents": [AGENT, "a"]},
    ["x"],
    None,
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_fast_path_agrees_with_jsonschema(document: Any) -> None:
    compiled = compiled_schema("ensemble")
    check = compiled.fast.check(compiled.validator.schema)
    assert check is not None
    assert check(document) == compiled.validator.is_valid(document)
