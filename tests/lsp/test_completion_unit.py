"""Completion on in-memory documents: what is offered, and exactly what it inserts where."""

from __future__ import annotations

from lsprotocol import types

from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.lsp.features.completion import completion_items
from support.lsp import apply_edits, by_label, edit_of, labels, text_with_cursor

PROFILES = {
    **builtin_profiles(),
    "fake": ModelProfile(name="fake", model="fake-model", provider="scripted", source="/p/c.yaml"),
}
PROVIDERS = ["local", "scripted"]


def complete(
    marked: str,
    trigger: str | None = None,
    encoding: types.PositionEncodingKind = types.PositionEncodingKind.Utf16,
) -> list[types.CompletionItem]:
    document, position = text_with_cursor(marked, encoding)
    return completion_items(document, position, PROFILES, PROVIDERS, trigger)


HEAD = "name: x\nagents:\n  - name: a\n    model_profile: fake\n"


def test_agent_keys_with_their_schema_description_leaving_out_keys_already_there() -> None:
    items = complete(HEAD + "    dep‸\n")
    assert "depends_on" in labels(items)
    assert "name" not in labels(items) and "model_profile" not in labels(items)
    assert "script" not in labels(items)  # unsupported keys are not offered
    depends_on = by_label(items, "depends_on")
    assert edit_of(depends_on) == ((4, 4, 4, 7), "depends_on: ")
    assert depends_on.kind == types.CompletionItemKind.Property
    assert isinstance(depends_on.documentation, types.MarkupContent)
    assert depends_on.documentation.value.startswith("**depends_on**\n\nAgents whose results")


def test_root_keys_at_the_root_and_retries_keys_inside_retries() -> None:
    assert labels(complete("name: x\n‸\nagents: []\n")) == [
        "description",
        "default_task",
        "task",
        "timeout_seconds",
        "max_concurrency",
        "max_cost",
    ]
    items = complete(HEAD + "    retries:\n      count: 2\n      ‸\n")
    assert labels(items) == ["initial_delay_seconds", "max_delay_seconds"]
    output_format = by_label(complete(HEAD + "    ‸\n"), "output_format")
    assert isinstance(output_format.documentation, types.MarkupContent)
    assert output_format.documentation.value.endswith("One of: `text`, `json`")


def test_a_key_typed_before_an_existing_colon_replaces_the_word_only() -> None:
    [item] = [i for i in complete(HEAD + "    temp‸ratur: 0.3\n") if i.label == "temperature"]
    assert edit_of(item) == ((4, 4, 4, 13), "temperature")


def test_keys_of_a_new_agent_item_and_inside_a_flow_mapping() -> None:
    item = by_label(complete(HEAD + "  - ‸\n"), "name")
    assert edit_of(item) == ((4, 4, 4, 4), "name: ")
    items = complete("name: x\nagents:\n  - {name: a, model_profile: fake, ‸}\n")
    assert "name" not in labels(items) and "model_profile" not in labels(items)
    assert edit_of(by_label(items, "system_prompt")) == ((2, 35, 2, 35), "system_prompt: ")


AGENTS = "name: x\nagents:\n  - name: a\n  - name: b\n  - name: c\n"


def test_agent_names_in_a_block_depends_on_leave_out_itself_and_those_listed() -> None:
    items = complete(AGENTS + "    depends_on:\n      - a\n      - ‸\n")
    assert labels(items) == ["b"]
    assert edit_of(items[0]) == ((7, 8, 7, 8), "b")
    assert items[0].kind == types.CompletionItemKind.Reference
    after_dash = complete(AGENTS + "    depends_on:\n      -‸\n", trigger="-")
    assert [edit_of(item) for item in after_dash] == [((6, 7, 6, 7), " a"), ((6, 7, 6, 7), " b")]


def test_agent_names_in_a_flow_list_of_a_document_that_does_not_parse() -> None:
    items = complete(AGENTS + "    depends_on: [a, ‸")
    assert labels(items) == ["b"]
    assert edit_of(items[0]) == ((5, 20, 5, 20), "b")
    after_comma = complete(AGENTS + "    depends_on: [b,‸]\n", trigger=",")
    assert [edit_of(item) for item in after_comma] == [((5, 19, 5, 19), " a")]


def test_a_flow_list_item_being_typed_is_replaced_and_later_items_count_as_listed() -> None:
    items = complete(AGENTS + "    depends_on: [x‸, a]\n")
    assert labels(items) == ["b"]
    assert edit_of(items[0]) == ((5, 17, 5, 18), "b")


def test_names_in_the_long_form_agent_name() -> None:
    items = complete(AGENTS + "    depends_on:\n      - agent_name: ‸\n")
    assert labels(items) == ["a", "b"]


def test_profiles_from_the_workspace_with_model_and_provider() -> None:
    items = complete(HEAD + "    fallback_model_profile: ‸\n")
    assert labels(items) == ["default", "fake", "local"]
    fake = by_label(items, "fake")
    assert fake.detail == "fake-model (scripted)"
    assert edit_of(fake) == ((4, 28, 4, 28), "fake")
    assert isinstance(fake.documentation, types.MarkupContent)
    assert "- defined in: `/p/c.yaml`" in fake.documentation.value


def test_a_profile_right_after_the_colon_gets_a_space() -> None:
    items = complete("name: x\nagents:\n  - name: a\n    model_profile:‸", trigger=":")
    assert edit_of(by_label(items, "local")) == ((3, 18, 3, 18), " local")


def test_providers_and_enum_values() -> None:
    assert labels(complete(HEAD + "    provider: ‸\n")) == PROVIDERS
    items = complete(HEAD + "    on_dependency_failure: s‸\n")
    assert labels(items) == ["skip", "continue"]
    assert edit_of(items[0]) == ((4, 27, 4, 28), "skip")
    assert labels(complete(HEAD + '    output_format: "‸"\n')) == ["text", "json"]


def test_ranges_are_in_utf16_units_after_non_ascii_text() -> None:
    # '🎵' is two UTF-16 units and one code point; 'é' one of each.
    marked = "name: x\nagents:\n  - {name: 🎵é, model_profile: fa‸}\n"
    line = marked.splitlines()[2]
    start = line.index("fa")  # code points
    [item] = [i for i in complete(marked) if i.label == "fake"]
    assert edit_of(item) == ((2, start + 1, 2, start + 3), "fake")
    [utf32] = [
        i for i in complete(marked, encoding=types.PositionEncodingKind.Utf32) if i.label == "fake"
    ]
    assert edit_of(utf32) == ((2, start, 2, start + 2), "fake")


def test_applying_a_completion_gives_the_intended_text() -> None:
    document, position = text_with_cursor(AGENTS + "    depends_on: [a, ‸]\n")
    [item] = completion_items(document, position, PROFILES, PROVIDERS)
    assert isinstance(item.text_edit, types.TextEdit)
    assert apply_edits(document, [item.text_edit]).endswith("    depends_on: [a, b]\n")


def test_a_space_does_not_pop_up_keys_while_indenting_but_does_for_values() -> None:
    assert complete(HEAD + "    ‸\n", trigger=" ") == []
    assert labels(complete(HEAD + "    provider: ‸\n", trigger=" ")) == PROVIDERS


def test_nothing_inside_prompts_and_free_text() -> None:
    assert complete(HEAD + "    system_prompt: |\n      You are ‸\n") == []
    assert complete(HEAD + "    system_prompt: You are ‸\n") == []
    assert complete(HEAD + "    name_of_thing: ‸\n") == []
