"""A provider's declared `options_schema` is checked by the validator, located at the option."""

from __future__ import annotations

import sys

import pytest

from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.providers.registry import provider_names
from llm_orc.validation import Severity, validate_ensemble_text, validate_profiles_text

PROVIDERS = ["local", "scripted"]


def test_a_profiles_file_option_of_the_wrong_type_is_an_error_at_its_value() -> None:
    text = "name: small\nmodel: m\nprovider: local\noptions:\n  top_k: lots\n  seed: 3\n"
    report = validate_profiles_text(text, providers=PROVIDERS)
    [diagnostic] = report.diagnostics
    assert diagnostic.code == "invalid-option" and diagnostic.is_error
    assert "top_k" in diagnostic.message
    assert (diagnostic.range.start.line, diagnostic.range.start.column) == (4, 9)


def test_an_option_the_provider_does_not_read_is_a_warning_with_a_suggestion() -> None:
    text = "name: small\nmodel: m\nprovider: local\noptions:\n  topk: 3\n"
    [diagnostic] = validate_profiles_text(text, providers=PROVIDERS).diagnostics
    assert diagnostic.code == "unknown-option" and diagnostic.severity is Severity.WARNING
    assert "'topk'" in diagnostic.message and "top_k" in diagnostic.message
    assert diagnostic.range.start.line == 4


def test_an_agents_own_options_are_checked_by_its_profiles_provider() -> None:
    text = (
        "name: e\nagents:\n  - name: a\n    model_profile: local\n    options:\n      n_ctx: 10\n"
    )
    report = validate_ensemble_text(text, profiles=builtin_profiles(), providers=PROVIDERS)
    [diagnostic] = report.diagnostics
    assert diagnostic.code == "invalid-option" and diagnostic.range.start.line == 5


def test_providers_without_a_schema_are_not_checked() -> None:
    text = "name: s\nmodel: m\nprovider: scripted\noptions:\n  anything: [1, 2]\n"
    assert validate_profiles_text(text, providers=PROVIDERS).diagnostics == []


def test_a_profile_whose_sdk_is_missing_is_a_located_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # as if the extra were not installed
    text = "name: gpt\nmodel: gpt-5\nprovider: openai-compatible\n"
    [diagnostic] = validate_profiles_text(text, providers=provider_names()).diagnostics
    assert diagnostic.code == "provider-unavailable" and diagnostic.is_error
    assert "pip install 'llm-orc[openai]'" in diagnostic.message
    assert diagnostic.range.start.line == 2

    profiles = {**builtin_profiles(), "gpt": ModelProfile("gpt", "gpt-5", "openai-compatible")}
    ensemble_text = "name: e\nagents:\n  - name: a\n    model_profile: gpt\n"
    report = validate_ensemble_text(ensemble_text, profiles=profiles, providers=provider_names())
    [diagnostic] = report.diagnostics
    assert diagnostic.code == "provider-unavailable" and "llm-orc[openai]" in diagnostic.message
    assert diagnostic.range.start.line == 3


def test_an_installed_sdk_is_not_reported() -> None:
    text = "name: llama\nmodel: llama3\nprovider: ollama\noptions:\n  num_ctx: 8192\n"
    assert validate_profiles_text(text, providers=provider_names()).diagnostics == []


def test_a_key_pasted_into_a_profile_is_an_error_that_never_repeats_it() -> None:
    key = "sk-proj-abcdefghijklmnop0123"
    text = (
        f"name: gpt\nmodel: m\nprovider: scripted\napi_key_env: {key}\noptions:\n  api_key: {key}\n"
    )
    report = validate_profiles_text(text, providers=PROVIDERS)
    codes = [(d.code, d.range.start.line) for d in report.diagnostics]
    assert codes == [("secret-in-profile", 3), ("secret-in-profile", 5)]
    assert all(key not in d.message for d in report.diagnostics)


def test_config_show_never_shows_an_option_named_like_a_key() -> None:
    profile = ModelProfile("p", "m", "scripted", options={"api_key": "sk-x", "seed": 1})
    assert profile.to_dict()["options"] == {"api_key": "***", "seed": 1}
