"""Hover on in-memory documents: keys, profile names and agent names."""

from __future__ import annotations

from lsprotocol import types

from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.lsp.features.hover import hover_at
from support.lsp import as_tuple, text_with_cursor

PROFILES = {
    **builtin_profiles(),
    "fake": ModelProfile(
        name="fake",
        model="fake-model",
        provider="scripted",
        price_per_million_input_tokens=0.5,
        price_per_million_output_tokens=1.25,
        source="/p/.llm-orc/config.yaml",
    ),
}

TEXT = """\
name: x
agents:
  - name: reader
    model_profile: fake
    system_prompt: |
      You read carefully.
      Then you summarise.
  - name: writer
    depends_on: [reader]
"""


def hover(marked: str) -> tuple[tuple[int, int, int, int], str] | None:
    document, position = text_with_cursor(marked)
    found = hover_at(document, position, PROFILES)
    if found is None:
        return None
    assert isinstance(found.contents, types.MarkupContent)
    assert found.contents.kind == types.MarkupKind.Markdown
    assert found.range is not None
    return as_tuple(found.range), found.contents.value


def test_a_key_shows_its_schema_description() -> None:
    found = hover(TEXT.replace("model_profile:", "model_pro‸file:"))
    assert found == (
        (3, 4, 3, 17),
        "**model_profile**\n\nThe model profile to use (model, provider and settings). Defaults "
        "to `default` when neither model_profile nor model is given.",
    )


def test_a_profile_name_shows_the_resolved_profile() -> None:
    found = hover(TEXT.replace("model_profile: fake", "model_profile: fa‸ke"))
    assert found == (
        (3, 19, 3, 23),
        "**fake** (model profile)\n\n"
        "- model: `fake-model`\n"
        "- provider: `scripted`\n"
        "- price per million tokens: $0.5 input, $1.25 output\n"
        "- defined in: `/p/.llm-orc/config.yaml`",
    )


def test_a_built_in_profile_says_so() -> None:
    found = hover(TEXT.replace("model_profile: fake", "model_profile: lo‸cal"))
    assert found is not None
    assert "- defined in: `<built-in>`" in found[1]
    assert "$0 input, $0 output" in found[1]


def test_a_name_in_depends_on_shows_that_agents_summary() -> None:
    found = hover(TEXT.replace("[reader]", "[rea‸der]"))
    assert found == (
        (8, 17, 8, 23),
        "**reader** (agent)\n\n"
        "- profile: `fake`\n"
        "- depends on: nothing\n"
        "- system prompt: You read carefully.",
    )


def test_positions_are_in_utf16_units() -> None:
    text = "name: x\nagents:\n  - {name: 🎵, model_profile: fa‸ke}\n"
    found = hover(text)
    assert found is not None
    start = text.splitlines()[2].index("fa")
    assert found[0] == (2, start + 1, 2, start + 5)


def test_keys_still_hover_while_the_document_does_not_parse() -> None:
    found = hover("name: x\nagents:\n  - name: a\n    tempe‸rature: 0.2\n    depends_on: [a, \n")
    assert found is not None
    assert found[0] == (3, 4, 3, 15)
    assert found[1].startswith("**temperature**\n\nSampling temperature")


def test_nothing_on_free_text_or_unknown_profiles() -> None:
    assert hover(TEXT.replace("You read", "You re‸ad")) is None
    assert hover(TEXT.replace("model_profile: fake", "model_profile: nope‸")) is None
