"""Quick fixes on in-memory documents, fed the validator's own diagnostics: each fix applied
gives YAML that the validator accepts."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.workspace import TextDocument

from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.lsp.conversions import to_lsp_diagnostic
from llm_orc.lsp.features.quick_fixes import quick_fixes
from llm_orc.validation import validate_ensemble_text
from support.lsp import apply_edits, text_document

PROFILES = {**builtin_profiles(), "fast": ModelProfile(name="fast", model="m", provider="local")}


def diagnostics(document: TextDocument) -> list[types.Diagnostic]:
    report = validate_ensemble_text(document.source, profiles=PROFILES)
    return [to_lsp_diagnostic(document, diagnostic) for diagnostic in report.diagnostics]


def fixes(text: str) -> dict[str, tuple[str, bool]]:
    """Each fix's title, the text it gives and whether it is preferred."""
    document = text_document(text)
    out: dict[str, tuple[str, bool]] = {}
    for action in quick_fixes(document, diagnostics(document)):
        assert action.kind == types.CodeActionKind.QuickFix
        assert action.edit is not None and action.edit.changes is not None
        [edits] = action.edit.changes.values()
        out[action.title] = (apply_edits(document, edits), bool(action.is_preferred))
    return out


def accepted(text: str) -> bool:
    report = validate_ensemble_text(text, profiles=PROFILES)
    return report.ok and not report.diagnostics


BLOCK = """\
name: 🎵 team
agents:
  - name: reader
    model_profile: default
  - name: writer
    model_profile: default
    depends_on:
      - raeder
      - ghost
"""


def test_a_near_miss_dependency_can_be_changed_added_or_removed() -> None:
    found = fixes(BLOCK.replace("      - ghost\n", ""))
    assert list(found) == ["Change to 'reader'", "Add agent 'raeder'", "Remove dependency 'raeder'"]
    changed, preferred = found["Change to 'reader'"]
    assert preferred
    assert changed == BLOCK.replace("      - ghost\n", "").replace("raeder", "reader")
    added, preferred = found["Add agent 'raeder'"]
    assert not preferred
    assert added == BLOCK.replace("      - ghost\n", "") + (
        "  - name: raeder\n    model_profile: default\n"
    )
    removed, _ = found["Remove dependency 'raeder'"]
    assert removed == BLOCK.replace("    depends_on:\n      - raeder\n      - ghost\n", "") + (
        "    depends_on: []\n"
    )
    assert all(accepted(text) for text, _ in found.values())


def test_removing_one_of_several_block_items_deletes_its_line() -> None:
    found = fixes(BLOCK)
    removed, _ = found["Remove dependency 'ghost'"]
    assert removed == BLOCK.replace("      - ghost\n", "")
    added, _ = found["Add agent 'ghost'"]
    assert added == BLOCK + "  - name: ghost\n    model_profile: default\n"
    assert "Change to 'reader'" in found  # for 'raeder'; 'ghost' has no near miss
    assert "Change to 'ghost'" not in found


def test_removing_the_only_block_item_leaves_an_empty_flow_list() -> None:
    text = BLOCK.replace("      - raeder\n", "")
    removed, _ = fixes(text)["Remove dependency 'ghost'"]
    assert removed == text.replace("    depends_on:\n      - ghost\n", "    depends_on: []\n")
    assert accepted(removed)


FLOW = """\
name: t
agents:
  - {name: a, model_profile: default}
  - {name: b, model_profile: default, depends_on: [ghost, a, {agent_name: gone}]}
"""


@pytest.mark.parametrize(
    ("title", "expected_list"),
    [
        ("Remove dependency 'ghost'", "[a, {agent_name: gone}]"),
        ("Remove dependency 'gone'", "[ghost, a]"),
    ],
)
def test_removing_flow_items_keeps_the_list_valid(title: str, expected_list: str) -> None:
    removed, _ = fixes(FLOW)[title]
    assert removed == FLOW.replace("[ghost, a, {agent_name: gone}]", expected_list)


def test_removing_the_only_flow_item_and_adding_to_a_flow_agent_list() -> None:
    text = "name: t\nagents: [{name: a, depends_on: [ghost]}]\n"
    found = fixes(text)
    assert found["Remove dependency 'ghost'"][0] == "name: t\nagents: [{name: a, depends_on: []}]\n"
    added = found["Add agent 'ghost'"][0]
    assert added == (
        "name: t\nagents: [{name: a, depends_on: [ghost]}, {name: ghost, model_profile: default}]\n"
    )
    assert all(accepted(fixed) for fixed, _ in found.values())


def test_a_new_agent_matches_the_indentation_of_the_others() -> None:
    text = "name: t\nagents:\n- name: a\n  depends_on: [b]\n  system_prompt: |\n    Hi.\n"
    added, _ = fixes(text)["Add agent 'b'"]
    assert added == text + "- name: b\n  model_profile: default\n"
    assert accepted(added)


def test_unknown_keys_and_profiles_change_to_the_near_miss() -> None:
    text = "name: t\nagents:\n  - name: a\n    model_profile: fsat\n    temprature: 0.3\n"
    found = fixes(text)
    assert list(found) == ["Change to 'fast'", "Change to 'temperature'"]
    assert found["Change to 'fast'"] == (text.replace("fsat", "fast"), True)
    assert found["Change to 'temperature'"] == (text.replace("temprature", "temperature"), True)


def test_a_near_miss_placeholder_is_fixed_in_place() -> None:
    text = (
        "name: t\nagents:\n  - name: a\n  - name: b\n    depends_on: [a]\n"
        '    prompt_template: "Use {deps.aa} and 🎵"\n'
    )
    [(title, (fixed, preferred))] = fixes(text).items()
    assert (title, preferred) == ("Change to 'a'", True)
    assert fixed == text.replace("{deps.aa}", "{deps.a}")


def test_only_llm_orc_diagnostics_that_still_match_the_text_get_fixes() -> None:
    document = text_document("name: t\nagents:\n  - name: a\n    depends_on: [b]\n")
    [diagnostic] = diagnostics(document)
    foreign = types.Diagnostic(diagnostic.range, diagnostic.message, source="yaml")
    assert quick_fixes(document, [foreign]) == []
    stale = text_document("name: t\nagents:\n  - name: a\n    depends_on: [c]\n", version=2)
    assert quick_fixes(stale, [diagnostic]) == []
