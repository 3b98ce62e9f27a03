"""Completion and hover of provider `options`, on in-memory documents: which provider's schema
applies (the agent's own provider, its profile's, a profile file's), keys already written, value
lists for enums and booleans, and nothing for unknown or schema-less providers."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from lsprotocol import types

from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.lsp.documents import DocumentKind
from llm_orc.lsp.features.completion import completion_items
from llm_orc.lsp.features.hover import hover_at
from llm_orc.lsp.provider_options import option_values, options_owner, owner_path, type_summary
from llm_orc.providers import registry
from llm_orc.providers.anthropic import AnthropicProvider
from llm_orc.providers.local import LocalProvider
from llm_orc.validation import validate_ensemble_text, validate_profiles_text
from support.lsp import apply_edits, as_tuple, by_label, edit_of, labels, text_with_cursor

PROFILES = {
    **builtin_profiles(),
    "claude": ModelProfile(name="claude", model="claude-x", provider="anthropic"),
    "fake": ModelProfile(name="fake", model="fake-model", provider="scripted"),
    "ghost": ModelProfile(name="ghost", model="m", provider="nowhere"),
    "tuned": ModelProfile(name="tuned", model="m", provider="tuned"),
}
PROVIDERS = [*registry.provider_names(), "tuned"]
ENSEMBLE, PROFILES_FILE = DocumentKind.ENSEMBLE, DocumentKind.PROFILES


class TunedProvider:
    """A provider whose options schema has an enum with a default and a typed boolean."""

    name: ClassVar[str] = "tuned"
    default_max_concurrency: ClassVar[int | None] = None
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "mode": {
                "enum": ["fast", "careful", "true"],
                "default": "careful",
                "description": "How hard to think.",
            },
            "verbose": {"type": "boolean", "default": False},
            "level": {"anyOf": [{"const": 1}, {"const": 2}], "description": "A level."},
        },
        "additionalProperties": False,
    }


@pytest.fixture(autouse=True)
def tuned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", {**registry._registered, "tuned": TunedProvider})


def complete(
    marked: str, kind: DocumentKind = ENSEMBLE, trigger: str | None = None
) -> list[types.CompletionItem]:
    document, position = text_with_cursor(marked)
    return completion_items(document, position, PROFILES, PROVIDERS, trigger, kind)


def agent(profile_line: str, options: str) -> str:
    return f"name: x\nagents:\n  - name: a\n{profile_line}    options:\n{options}"


ANTHROPIC_KEYS = [*AnthropicProvider.options_schema["properties"]]  # type: ignore[index]
LOCAL_KEYS = [*LocalProvider.options_schema["properties"]]  # type: ignore[index]


def test_an_agents_option_keys_come_from_its_profiles_provider_in_schema_order() -> None:
    items = complete(agent("    model_profile: claude\n", "      ‸\n"))
    assert labels(items) == ANTHROPIC_KEYS
    top_p = by_label(items, "top_p")
    assert edit_of(top_p) == ((5, 6, 5, 6), "top_p: ")
    assert top_p.kind == types.CompletionItemKind.Property
    assert top_p.detail == "number, 0 to 1 (anthropic)"
    assert isinstance(top_p.documentation, types.MarkupContent)
    assert top_p.documentation.value.startswith(
        "**top_p** (option of provider `anthropic`)\n\nNucleus sampling"
    )


def test_the_agents_own_provider_wins_over_its_profile_and_no_profile_means_default() -> None:
    own = complete(agent("    model_profile: claude\n    provider: local\n", "      ‸\n"))
    assert labels(own) == LOCAL_KEYS
    default = complete(agent("", "      ‸\n"))  # no model_profile: the `default` profile (local)
    assert labels(default) == LOCAL_KEYS


def test_keys_already_written_are_not_offered_but_the_one_being_typed_is() -> None:
    text = agent("    model_profile: claude\n", "      top_k: 5\n      top‸\n      top_p: 1\n")
    items = complete(text)
    assert "top_k" not in labels(items) and "top_p" not in labels(items)
    assert edit_of(by_label(items, "stop_sequences"))[0] == (6, 6, 6, 9)
    retyped = complete(agent("    model_profile: claude\n", "      top_‸k: 5\n"))
    assert edit_of(by_label(retyped, "top_k")) == ((5, 6, 5, 11), "top_k")


def test_keys_in_a_flow_mapping_of_options() -> None:
    text = "name: x\nagents:\n  - name: a\n    model_profile: claude\n    options: {top_k: 3, ‸}\n"
    items = complete(text)
    assert "top_k" not in labels(items) and "top_p" in labels(items)
    assert edit_of(by_label(items, "top_p"))[1] == "top_p: "
    whole = complete(
        "name: x\nagents:\n  - {name: a, model_profile: claude, options: {top_k: 1, ‸}}\n"
    )
    assert labels(whole) == [key for key in ANTHROPIC_KEYS if key != "top_k"]
    profile = complete("model_profiles:\n  p: {provider: local, options: {‸}}\n", PROFILES_FILE)
    assert labels(profile) == LOCAL_KEYS


def test_boolean_and_enum_values_with_the_default_preselected() -> None:
    booleans = complete(agent("    model_profile: claude\n", "      prompt_caching: ‸\n"))
    assert [(item.label, edit_of(item)[1]) for item in booleans] == [
        ("true", "true"),
        ("false", "false"),
    ]
    modes = complete(agent("    model_profile: tuned\n", "      mode: ‸\n"))
    assert [(item.label, edit_of(item)[1]) for item in modes] == [
        ("fast", "fast"),
        ("careful", "careful"),
        ("true", '"true"'),  # the text "true", quoted so that it stays text
    ]
    careful = by_label(modes, "careful")
    assert careful.preselect is True and careful.detail == "default"
    assert by_label(modes, "fast").preselect is None
    verbose = complete(agent("    model_profile: tuned\n", "      verbose: ‸\n"))
    assert [item.label for item in verbose if item.preselect] == ["false"]
    levels = complete(agent("    model_profile: tuned\n", "      level: ‸\n"))
    assert labels(levels) == ["1", "2"]


def test_inside_quotes_only_text_values_are_offered_as_they_are() -> None:
    items = complete(agent("    model_profile: tuned\n", '      mode: "‸"\n'))
    assert [edit_of(item)[1] for item in items] == ["fast", "careful", "true"]
    assert complete(agent("    model_profile: tuned\n", '      verbose: "‸"\n')) == []


def test_a_value_of_a_free_form_option_offers_nothing() -> None:
    assert complete(agent("    model_profile: claude\n", "      top_p: ‸\n")) == []
    assert complete(agent("    model_profile: claude\n", "      unknown: ‸\n")) == []


def test_unknown_providers_schema_less_providers_and_unknown_profiles_offer_nothing() -> None:
    for profile in ("ghost", "fake", "no-such-profile"):
        text = agent(f"    model_profile: {profile}\n", "      ‸\n")
        assert complete(text) == [], profile
        assert complete(agent(f"    model_profile: {profile}\n", "      mode: ‸\n")) == []


def test_the_chosen_key_and_value_give_options_the_validator_accepts() -> None:
    text = agent("    model_profile: tuned\n", "      ‸\n")
    document, position = text_with_cursor(text)
    key = by_label(completion_items(document, position, PROFILES, PROVIDERS, None), "mode")
    assert isinstance(key.text_edit, types.TextEdit)
    with_key = apply_edits(document, [key.text_edit])
    document, position = text_with_cursor(with_key.replace("mode: ", "mode: ‸"))
    items = completion_items(document, position, PROFILES, PROVIDERS, None)
    value = by_label(items, "true")
    assert isinstance(value.text_edit, types.TextEdit)
    final = apply_edits(document, [value.text_edit])
    assert final.endswith('      mode: "true"\n')
    report = validate_ensemble_text(final, profiles=PROFILES, providers=PROVIDERS)
    assert report.diagnostics == []
    wrong = final.replace('"true"', "true")  # unquoted it is a boolean, which the schema refuses
    report = validate_ensemble_text(wrong, profiles=PROFILES, providers=PROVIDERS)
    assert [d.code for d in report.diagnostics] == ["invalid-option"]


PROFILE_FILE = "name: small\nmodel: m\nprovider: anthropic\noptions:\n  top_k: 4\n  ‸\n"
CONFIG_FILE = """\
model_profiles:
  small:
    provider: local
    options:
      seed: 1
      ‸
  remote:
    provider: anthropic
"""


def test_a_profile_files_options_come_from_its_own_provider() -> None:
    single = complete(PROFILE_FILE, PROFILES_FILE)
    assert labels(single) == [key for key in ANTHROPIC_KEYS if key != "top_k"]
    config = complete(CONFIG_FILE, PROFILES_FILE)
    assert labels(config) == [key for key in LOCAL_KEYS if key != "seed"]
    no_provider = "model_profiles:\n  p:\n    model: m\n    options:\n      ‸\n"
    assert complete(no_provider, PROFILES_FILE) == []


def test_a_profiles_file_is_completed_only_inside_options() -> None:
    assert complete("model_profiles:\n  p:\n    provider: local\n    ‸\n", PROFILES_FILE) == []
    assert complete("name: p\nprovider: ‸\n", PROFILES_FILE) == []
    # An ensemble's own keys are not offered in a profiles file, nor profile options in an
    # ensemble's unrelated `options`-named mapping.
    assert complete("name: x\nretries:\n  options:\n    ‸\n") == []


def test_a_profiles_file_value_completion_and_validation_agree() -> None:
    text = PROFILE_FILE.replace("  ‸\n", "  structured_output: ‸\n")
    items = complete(text, PROFILES_FILE)
    assert labels(items) == ["true", "false"]
    document, _ = text_with_cursor(text)
    final = apply_edits(document, [edit_of_item(items[1])])
    assert validate_profiles_text(final, providers=PROVIDERS).diagnostics == []


def edit_of_item(item: types.CompletionItem) -> types.TextEdit:
    assert isinstance(item.text_edit, types.TextEdit)
    return item.text_edit


# -- hover ----------------------------------------------------------------------------------


def hover(marked: str, kind: DocumentKind = ENSEMBLE) -> tuple[tuple[int, int, int, int], str]:
    document, position = text_with_cursor(marked)
    found = hover_at(document, position, PROFILES, kind)
    assert found is not None and found.range is not None
    assert isinstance(found.contents, types.MarkupContent)
    return as_tuple(found.range), found.contents.value


def no_hover(marked: str, kind: DocumentKind = ENSEMBLE) -> bool:
    document, position = text_with_cursor(marked)
    return hover_at(document, position, PROFILES, kind) is None


def test_hover_on_an_option_key_shows_description_type_default_and_values() -> None:
    where, text = hover(agent("    model_profile: tuned\n", "      mo‸de: fast\n"))
    assert where == (5, 6, 5, 10)
    assert text == (
        "**mode** (option of provider `tuned`)\n\nHow hard to think.\n\n"
        "- type: any\n- default: `careful`\n- one of: `fast`, `careful`, `true`"
    )
    _, top_k = hover(agent("    model_profile: claude\n", "      top_‸k: 3\n"))
    assert top_k == (
        "**top_k** (option of provider `anthropic`)\n\n"
        "Sample only from the K most likely tokens.\n\n- type: integer, at least 1"
    )


def test_hover_on_a_profile_files_option_key() -> None:
    marked = CONFIG_FILE.replace("seed", "se‸ed").replace("      ‸\n", "")
    where, text = hover(marked, PROFILES_FILE)
    assert where == (4, 6, 4, 10)
    assert text.startswith("**seed** (option of provider `local`)\n\nSeed for reproducible")
    assert "- type: integer, 0 to 4294967294" in text


def test_no_hover_for_unknown_options_providers_or_keys_outside_options() -> None:
    assert no_hover(agent("    model_profile: claude\n", "      to‸pp: 3\n"))
    assert no_hover(agent("    model_profile: fake\n", "      re‸ply: hi\n"))
    assert no_hover(agent("    model_profile: ghost\n", "      to‸p_p: 1\n"))
    assert no_hover("model_profiles:\n  p:\n    prov‸ider: local\n", PROFILES_FILE)


def test_the_schema_readers_on_their_own() -> None:
    assert owner_path(ENSEMBLE, ("agents", 2, "options")) == ("agents", 2)
    assert owner_path(ENSEMBLE, ("agents", "options")) is None
    assert owner_path(PROFILES_FILE, ("options",)) == ()
    assert owner_path(PROFILES_FILE, ("model_profiles", "p", "options")) == ("model_profiles", "p")
    assert owner_path(DocumentKind.OTHER, ("options",)) is None
    written = {("agents", 0, "provider"): "tuned"}
    owner = options_owner(ENSEMBLE, ("agents", 0, "options"), written.get, PROFILES)
    assert (
        owner is not None
        and owner.provider == "tuned"
        and [*owner.properties]
        == [
            "mode",
            "verbose",
            "level",
        ]
    )
    assert option_values({"type": ["boolean", "string"]}) == [True, False]
    assert option_values({"type": "string"}) == []
    summary = type_summary({"type": ["string", "number"], "maximum": 3})
    assert summary == "string or number, at most 3"
