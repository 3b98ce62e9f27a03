"""Definition, references and rename of agent names, on in-memory documents."""

from __future__ import annotations

import pytest

from llm_orc.lsp.features.navigation import definition_of, references_to
from llm_orc.lsp.features.rename import RenameError, prepare_rename_at, rename_edits
from llm_orc.validation import validate_ensemble_text
from support.lsp import CURSOR, apply_edits, as_tuple, text_with_cursor

TEXT = """\
name: team
agents:
  - name: 🎵 reader
    model_profile: default
  - name: critic
    depends_on: [🎵 reader]
    prompt_template: "Check {deps.🎵 reader} twice"
  - name: writer
    depends_on:
      - critic
      - agent_name: 🎵 reader
    prompt_template: |
      Rewrite {deps.🎵 reader} using {deps.critic}.
"""


def at(needle: str, occurrence: int = 0, offset: int = 1) -> str:
    """TEXT with the cursor OFFSET code points into the OCCURRENCE-th NEEDLE."""
    found = -1
    for _ in range(occurrence + 1):
        found = TEXT.index(needle, found + 1)
    return TEXT[: found + offset] + CURSOR + TEXT[found + offset :]


def test_definition_from_a_flow_item_a_long_form_item_and_a_placeholder() -> None:
    for marked in (at("[🎵", offset=2), at("agent_name: 🎵", offset=13), at("deps.🎵", offset=6)):
        document, position = text_with_cursor(marked)
        [location] = definition_of(document, position)
        assert as_tuple(location.range) == (2, 10, 2, 19)  # '🎵 reader': 2 + 7 UTF-16 units


def test_definition_from_a_block_item() -> None:
    document, position = text_with_cursor(at("- critic", offset=3))
    [location] = definition_of(document, position)
    assert as_tuple(location.range) == (4, 10, 4, 16)


def test_no_definition_from_the_name_itself_or_elsewhere() -> None:
    assert definition_of(*text_with_cursor(at("name: critic", offset=7))) == []
    assert definition_of(*text_with_cursor(at("model_profile"))) == []


def test_references_from_the_definition_and_from_a_dependency() -> None:
    document, position = text_with_cursor(at("name: 🎵", offset=7))
    found = [as_tuple(loc.range) for loc in references_to(document, position, False)]
    assert found == [(5, 17, 5, 26), (10, 20, 10, 29)]
    document, position = text_with_cursor(at("- critic", offset=4))
    with_declaration = [as_tuple(loc.range) for loc in references_to(document, position, True)]
    assert with_declaration == [(4, 10, 4, 16), (9, 8, 9, 14)]


def test_rename_changes_the_name_every_dependency_and_every_placeholder() -> None:
    document, position = text_with_cursor(at("- critic", offset=4))
    edits = rename_edits(document, position, "reviewer")
    assert edits is not None
    renamed = apply_edits(document, edits)
    assert renamed == TEXT.replace("critic", "reviewer")
    assert validate_ensemble_text(renamed).ok


def test_rename_quotes_names_that_need_it_and_escapes_them_in_quoted_templates() -> None:
    document, position = text_with_cursor(at("name: 🎵", offset=8))
    edits = rename_edits(document, position, 'the "reader"')
    assert edits is not None
    renamed = apply_edits(document, edits)
    assert '  - name: "the \\"reader\\""\n' in renamed
    assert '    depends_on: ["the \\"reader\\""]\n' in renamed
    assert '    prompt_template: "Check {deps.the \\"reader\\"} twice"\n' in renamed
    assert '      Rewrite {deps.the "reader"} using {deps.critic}.\n' in renamed
    report = validate_ensemble_text(renamed)
    assert report.ok, report.diagnostics
    assert report.data["agents"][2]["prompt_template"].startswith('Rewrite {deps.the "reader"}')


def test_prepare_rename_offers_the_name_without_quotes() -> None:
    text = 'name: t\nagents:\n  - name: "a b"\n  - {name: c, depends_on: ["a b"]}\n'
    marked = text.replace('["a b"]', '["a‸ b"]')
    document, position = text_with_cursor(marked)
    prepared = prepare_rename_at(document, position)
    assert prepared is not None
    assert (as_tuple(prepared.range), prepared.placeholder) == ((3, 28, 3, 31), "a b")
    assert prepare_rename_at(*text_with_cursor(text.replace("name: t", "na‸me: t"))) is None


@pytest.mark.parametrize(
    ("new_name", "message"),
    [
        ("writer", "there is already an agent named 'writer'"),
        ("", "an agent name cannot be empty"),
        ("  ", "an agent name cannot be empty"),
        ("a{b}", "an agent name cannot contain braces"),
    ],
)
def test_rename_refuses_names_that_clash_or_cannot_be_used(new_name: str, message: str) -> None:
    document, position = text_with_cursor(at("- critic", offset=4))
    with pytest.raises(RenameError, match=message):
        rename_edits(document, position, new_name)


def test_rename_refuses_while_the_document_does_not_parse() -> None:
    document, position = text_with_cursor(at("- critic", offset=4) + "  - name: [\n")
    with pytest.raises(RenameError, match="YAML syntax errors"):
        prepare_rename_at(document, position)
