"""YAML-level problems and positions: syntax errors, empty documents, duplicate keys."""

from __future__ import annotations

import pytest
import yaml
from diagnostic_asserts import assert_diag, assert_only, span
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from llm_orc.validation import Severity, validate_ensemble_text, yaml_index
from llm_orc.validation.yaml_index import parse_yaml


@pytest.fixture(params=["libyaml", "pure-python"])
def either_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a test with libyaml's loader and with PyYAML's pure-Python fallback: same positions."""
    if request.param == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    loader = yaml_index._CLoader if request.param == "libyaml" else yaml_index._PyLoader
    monkeypatch.setattr(yaml_index, "_Loader", loader)


def test_syntax_error_spans_from_the_problem_to_the_end_of_its_line(either_loader: None) -> None:
    text = "name: x\nagents:\n  - name: a\n    model_profile: b: c\n"
    report = validate_ensemble_text(text)
    diagnostic = assert_diag(report, "yaml-syntax", (3, 20, 3, 23))
    assert diagnostic.message.startswith("mapping values are not allowed")  # wording: loader
    assert report.data is None
    assert not report.ok


def test_syntax_error_names_the_construct_it_was_in_when_that_started_earlier() -> None:
    report = validate_ensemble_text("name: x\nagents:\n  - name: a\n   bad: [\n")
    diagnostic = assert_diag(report, "yaml-syntax", (3, 3, 3, 9))
    assert diagnostic.message == (
        "did not find expected '-' indicator (while parsing a block collection on line 3)"
    )


def test_tab_indentation_is_explained() -> None:
    report = validate_ensemble_text("name: x\nagents:\n\t- name: a\n")
    diagnostic = assert_diag(report, "yaml-syntax", (2, 0, 2, 10))
    assert "indent YAML with spaces" in diagnostic.message


def test_two_documents_in_one_file_are_a_syntax_error() -> None:
    report = validate_ensemble_text("name: x\n---\nname: y\n")
    diagnostic = assert_diag(report, "yaml-syntax", (1, 0, 1, 3))
    assert "single document" in diagnostic.message


def test_control_character_is_located_in_code_points(either_loader: None) -> None:
    report = validate_ensemble_text("name: Größe\x07\nagents: []\n")
    diagnostic = assert_diag(report, "yaml-syntax", (0, 11, 0, 12))
    assert diagnostic.message.startswith("unacceptable character #x0007")


def test_unknown_tag_is_a_located_error_not_a_traceback() -> None:
    report = validate_ensemble_text("name: !python/object x\nagents: []\n")
    assert_only(report, "yaml-tag")
    diagnostic = assert_diag(report, "yaml-tag", (0, 6, 0, 22))
    assert diagnostic.message.startswith("unknown tag '!python/object'")


def test_recursive_alias_is_reported() -> None:
    report = validate_ensemble_text("name: &x [*x]\n")
    assert_only(report, "yaml-syntax")
    assert report.data is None


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "---\n"])
def test_empty_document(text: str) -> None:
    report = validate_ensemble_text(text)
    assert_only(report, "empty-document")
    assert_diag(report, "empty-document", (0, 0, 0, 0))
    assert report.data is None


def test_duplicate_key_is_reported_on_the_second_key_with_the_first_related(
    either_loader: None,
) -> None:
    text = "name: x\nagents:\n  - name: a\n    model_profile: p\n    model_profile: q\n"
    report = validate_ensemble_text(text)
    diagnostic = assert_diag(report, "duplicate-key", (4, 4, 4, 17))
    assert diagnostic.message == (
        "duplicate key 'model_profile' (first on line 4); only the last one is used"
    )
    assert [span(r.range) for r in diagnostic.related] == [(3, 4, 3, 17)]
    assert report.data["agents"][0]["model_profile"] == "q"  # as PyYAML: the last one wins


def test_duplicate_top_level_key() -> None:
    report = validate_ensemble_text("name: x\nname: y\nagents:\n  - name: a\n")
    assert_only(report, "duplicate-key")
    assert_diag(report, "duplicate-key", (1, 0, 1, 4))


def test_merge_keys_are_not_duplicates_and_merge_as_in_pyyaml(either_loader: None) -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - &first\n"
        "    name: a\n"
        "    model_profile: default\n"
        "    temperature: 0.1\n"
        "  - <<: *first\n"
        "    name: b\n"
        "    temperature: 5\n"
    )
    report = validate_ensemble_text(text)
    assert report.data == yaml.safe_load(text)
    assert_only(report, "invalid-value")
    assert_diag(report, "invalid-value", (8, 17, 8, 18))  # the override, not the anchor


def test_positions_are_code_points_after_non_ascii_on_earlier_and_same_line(
    either_loader: None,
) -> None:
    text = (
        'description: "Größe 🎵"\n'
        "name: demo\n"
        "agents:\n"
        '  - {name: "🎵 Größe", depends_on: [nobody], temprature: 1}\n'
    )
    report = validate_ensemble_text(text)
    # 🎵 is one code point (two UTF-16 units, four UTF-8 bytes); ö and ß one each.
    assert_diag(report, "missing-dependency", (3, 35, 3, 41))
    assert_diag(report, "unknown-key", (3, 44, 3, 54))


def test_positions_with_crlf_line_endings() -> None:
    report = validate_ensemble_text("name: x\r\nagents:\r\n  - name: a\r\n    temprature: 1\r\n")
    assert_diag(report, "unknown-key", (3, 4, 3, 14))


def test_data_matches_pyyaml_safe_load(either_loader: None) -> None:
    text = (
        "name: x\n"
        "n: 12\n"
        "f: 1.5e3\n"
        "b: [yes, no, true, ~, null]\n"
        "d: 2024-01-02\n"
        "o: 0o17\n"
        "h: 0x1f\n"
        "s: '012'\n"
        "nested: {a: [1, {b: c}], 3: x}\n"
        "block: |\n  line one\n  line two\n"
        "shared: &s {k: v}\n"
        "again: *s\n"
        "=: equals\n"
        "bin: !!binary aGVsbG8=\n"
        "set: !!set {a, b}\n"
    )
    parsed = parse_yaml(text)
    assert parsed.data == yaml.safe_load(text)
    assert parsed.data["again"] is parsed.data["shared"]  # aliases share objects, as in PyYAML
    assert [d.code for d in parsed.diagnostics] == ["invalid-key"]  # `3:` is not a name


def test_block_scalar_range_stops_at_its_last_line() -> None:
    text = "name: x\nagents:\n  - name: a\n    system_prompt: |\n      text\n\n    oops: 1\n"
    parsed = parse_yaml(text)
    value = parsed.source.value_range(("agents", 0, "system_prompt"))
    assert span(value) == (3, 19, 4, 10)


def test_a_blank_value_is_reported_on_its_key() -> None:
    report = validate_ensemble_text("name: x\nagents:\n")
    diagnostic = assert_diag(report, "invalid-type", (1, 0, 1, 6))
    assert diagnostic.message == "'agents' has no value; it must be a list"
    assert diagnostic.severity is Severity.ERROR


@pytest.mark.parametrize(
    "text",
    [
        "name: " + "[" * 100_000 + "]" * 100_000 + "\nagents: []\n",
        "name: x\nagents:\n" + "- " * 100_000 + "x\n",
    ],
)
def test_absurd_nesting_is_an_error_not_a_crash(text: str) -> None:
    # libyaml's composer overflows the C stack on these (a segfault); they must be reported.
    report = validate_ensemble_text(text)
    assert_only(report, "yaml-syntax")
    assert report.diagnostics[0].message == "the document nests too deeply"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "~",
        "null",
        "Null",
        "yes",
        "No",
        "on",
        "true",
        "0x1f",
        "0o17",
        "1_000",
        "-1.5e3",
        ".inf",
        "-.NaN",
        "2024-01-02",
        "2024-01-02T03:04:05Z",
        "<<",
        "=",
        "name",
        "agent-1",
        "1.2.3",
        "+12",
    ],
)
def test_the_quick_resolver_tags_every_scalar_as_pyyaml_does(value: str) -> None:
    mine, pyyaml = yaml_index._PyLoader(""), yaml.SafeLoader("")
    for implicit in ((True, False), (False, True), (False, False)):
        assert mine.resolve(ScalarNode, value, implicit) == pyyaml.resolve(
            ScalarNode, value, implicit
        )
    for kind in (SequenceNode, MappingNode):
        assert mine.resolve(kind, None, (True, False)) == pyyaml.resolve(kind, None, (True, False))
