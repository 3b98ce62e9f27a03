"""Names an ensemble refers to: profiles, providers and `{deps.NAME}` placeholders."""

from __future__ import annotations

from diagnostic_asserts import assert_diag, assert_only

from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.validation import Severity, validate_ensemble_text, validate_profiles_text

PROVIDERS = ["local", "scripted"]


def profiles() -> dict[str, ModelProfile]:
    found = builtin_profiles()
    found["claude"] = ModelProfile(name="claude", model="sonnet", provider="anthropic-api")
    return found


def test_unknown_profile_with_did_you_mean() -> None:
    text = "name: x\nagents:\n  - name: a\n    model_profile: defualt\n"
    report = validate_ensemble_text(text, profiles=profiles())
    assert_only(report, "unknown-profile")
    diagnostic = assert_diag(report, "unknown-profile", (3, 19, 3, 26))
    assert diagnostic.message == "unknown model profile 'defualt'; did you mean 'default'?"


def test_unknown_fallback_profile_lists_the_known_ones() -> None:
    text = "name: x\nagents:\n  - name: a\n    fallback_model_profile: zzz\n"
    report = validate_ensemble_text(text, profiles=profiles())
    diagnostic = assert_diag(report, "unknown-profile", (3, 28, 3, 31))
    assert diagnostic.message == "unknown model profile 'zzz' (known: claude, default, local)"


def test_profiles_are_not_checked_without_profiles() -> None:
    text = "name: x\nagents:\n  - name: a\n    model_profile: anything\n"
    assert validate_ensemble_text(text).diagnostics == []


def test_unknown_provider_on_the_agent_value() -> None:
    text = "name: x\nagents:\n  - name: a\n    model: m\n    provider: olama\n"
    report = validate_ensemble_text(text, providers=["ollama", "local"])
    diagnostic = assert_diag(report, "unknown-provider", (4, 14, 4, 19))
    assert diagnostic.message == (
        "provider 'olama' is not available here (available: local, ollama); did you mean 'ollama'?"
    )
    assert validate_ensemble_text(text).diagnostics == []  # providers=None: not checked


def test_profile_on_an_unavailable_provider_goes_on_model_profile() -> None:
    text = "name: x\nagents:\n  - name: a\n    model_profile: claude\n"
    report = validate_ensemble_text(text, profiles=profiles(), providers=PROVIDERS)
    assert_only(report, "unknown-provider")
    diagnostic = assert_diag(report, "unknown-provider", (3, 19, 3, 25))
    assert diagnostic.message == (
        "profile 'claude' uses provider 'anthropic-api', which is not available here "
        "(available: local, scripted)"
    )


def test_agent_provider_overrides_its_profile_but_not_its_fallback() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: a\n"
        "    model_profile: claude\n"
        "    provider: local\n"
        "    fallback_model_profile: claude\n"
    )
    report = validate_ensemble_text(text, profiles=profiles(), providers=PROVIDERS)
    assert_only(report, "unknown-provider", "fallback-cycle")
    assert_diag(report, "unknown-provider", (5, 28, 5, 34))
    # The scheduler never falls back to the profile an agent runs on: that is said, not silent.
    cycle = assert_diag(report, "fallback-cycle", (5, 28, 5, 34))
    assert cycle.severity is Severity.WARNING


def test_placeholder_not_in_depends_on_is_a_warning_on_the_placeholder() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: draft\n"
        "  - name: edit\n"
        "    depends_on: [draft]\n"
        '    prompt_template: "Fix {deps.draft} and {deps.notes}; {input}"\n'
    )
    report = validate_ensemble_text(text)
    assert report.ok
    assert_only(report, "unknown-placeholder")
    diagnostic = assert_diag(report, "unknown-placeholder", (5, 43, 5, 55))
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.message == (
        "{deps.notes} is not replaced: 'notes' is not in this agent's depends_on "
        "and is not an agent of this ensemble"
    )


def test_placeholder_naming_an_agent_that_is_not_a_dependency() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: draft\n"
        "  - name: edit\n"
        "    prompt_template: |\n"
        "      Improve this:\n"
        "      {deps.draft}\n"
    )
    report = validate_ensemble_text(text)
    diagnostic = assert_diag(report, "unknown-placeholder", (6, 6, 6, 18))
    assert diagnostic.message.endswith("; add 'draft' to depends_on to use its output")


def test_placeholder_written_with_escapes_falls_back_to_the_whole_value() -> None:
    text = 'name: x\nagents:\n  - name: a\n    prompt_template: "\\x7bdeps.b}"\n'
    report = validate_ensemble_text(text)
    assert_diag(report, "unknown-placeholder", (3, 21, 3, 34))


def test_other_braces_are_literal_text() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: coder\n"
        "    prompt_template: |\n"
        "      def f(): return {'a': 1}  # {deps} {deps.} {Input}\n"
        "      {input}\n"
    )
    assert validate_ensemble_text(text).diagnostics == []


def test_agent_names_with_spaces_can_be_placeholders() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: first pass\n"
        "  - name: coder\n"
        "    depends_on: [first pass]\n"
        "    prompt_template: 'use {deps.first pass} and {deps.second pass}'\n"
    )
    report = validate_ensemble_text(text)
    assert_only(report, "unknown-placeholder")
    assert "'second pass'" in report.diagnostics[0].message


def test_profiles_file_provider_check() -> None:
    text = "model_profiles:\n  fast:\n    model: m\n    provider: ollama\n"
    report = validate_profiles_text(text, providers=PROVIDERS)
    assert_only(report, "unknown-provider")
    assert_diag(report, "unknown-provider", (3, 14, 3, 20))
    assert validate_profiles_text(text).diagnostics == []


def test_single_profile_file_provider_check() -> None:
    report = validate_profiles_text("name: fast\nmodel: m\nprovider: llama\n", providers=PROVIDERS)
    assert_diag(report, "unknown-provider", (2, 10, 2, 15))


def test_output_schema_must_be_a_valid_json_schema() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: a\n"
        "    output_schema:\n"
        "      type: object\n"
        "      properties:\n"
        "        p: {type: strang}\n"
    )
    report = validate_ensemble_text(text)
    assert_only(report, "invalid-output-schema")
    assert_diag(report, "invalid-output-schema", (6, 18, 6, 24))
    fine = text.replace("strang", "string")
    assert validate_ensemble_text(fine).diagnostics == []


def test_a_near_miss_of_a_placeholder_is_a_located_warning() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: a\n"
        "  - name: b\n"
        "    depends_on: [a]\n"
        "    prompt_template: 'Use {inptu} and {dep.a}, not {inputs_of_mine} or {x}'\n"
    )
    found = [
        (d.code, d.severity.value, d.message, d.range)
        for d in validate_ensemble_text(text).diagnostics
    ]
    assert [(code, severity) for code, severity, _, _ in found] == [
        ("unknown-placeholder", "warning"),
        ("unknown-placeholder", "warning"),
    ]
    assert "{inptu} is not a placeholder" in found[0][2] and "'{input}'" in found[0][2]
    assert "did you mean '{deps.a}'?" in found[1][2]
    assert (found[0][3].start.line, found[0][3].start.column) == (5, 26)
