"""One regression test per hostile input found from outside: each is a located diagnostic."""

from __future__ import annotations

import tracemalloc

import pytest
import yaml
from diagnostic_asserts import assert_diag, assert_only, listing, span

from llm_orc.validation import (
    Severity,
    validate_ensemble_text,
    validate_profiles_text,
    yaml_index,
)
from llm_orc.validation.yaml_builder import EXPANSION_LIMIT
from llm_orc.validation.yaml_index import parse_yaml, read_header


@pytest.fixture(params=["libyaml", "pure-python"])
def either_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    loader = yaml_index._CLoader if request.param == "libyaml" else yaml_index._PyLoader
    monkeypatch.setattr(yaml_index, "_Loader", loader)


@pytest.mark.parametrize(
    ("text", "at", "message"),
    [
        ("name: !!bool name\n", (0, 6, 0, 17), "'name' is not true or false (fix the value or"),
        ("!!bool x: 1\n", (0, 0, 0, 8), "'x' is not true or false"),
        ("name: !!int abc\n", (0, 6, 0, 15), "'abc' is not an integer"),
        ("name: !!int ''\n", (0, 6, 0, 14), "'' is not an integer"),
        ("name: !!timestamp abc\n", (0, 6, 0, 21), "'abc' is not a date or time"),
        ("x: !!float zz\n", (0, 3, 0, 13), "'zz' is not a number"),
        ("x: 2024-13-45\n", (0, 3, 0, 13), "'2024-13-45' is not a date or time (quote it"),
        ("x: !!str [a]\n", (0, 3, 0, 12), "cannot read this value as text: expected a scalar"),
    ],
)
def test_a_value_its_tag_cannot_hold_is_located_on_the_value(
    either_loader: None, text: str, at: tuple[int, int, int, int], message: str
) -> None:
    for report in (validate_ensemble_text(text), validate_profiles_text(text)):
        diagnostic = assert_diag(report, "yaml-value", at)
        assert diagnostic.message.startswith(message), diagnostic.message
        assert report.data is None


def test_every_unreadable_value_is_reported_not_only_the_first() -> None:
    report = validate_ensemble_text("name: !!int a\ndescription: !!bool b\nagents: !!float c\n")
    assert_only(report, "yaml-value", "yaml-value", "yaml-value")


def test_an_integer_too_long_for_python_is_located() -> None:
    text = "name: x\nmax_concurrency: " + "7" * 5000 + "\nagents: []\n"
    report = validate_ensemble_text(text)
    diagnostic = assert_diag(report, "yaml-value", (1, 17, 1, 5017))
    assert diagnostic.message == (
        "an integer of 5000 digits is too long to read (quote it to make it text)"
    )


@pytest.mark.parametrize("text", ["!binary x\n", "x: !!binary '\u00e9'\n", "x: !foo {a: 1}\n"])
def test_unknown_or_broken_tags_are_located(text: str) -> None:
    report = validate_ensemble_text(text)
    assert len(report.diagnostics) == 1, listing(report)
    assert report.diagnostics[0].code in ("yaml-tag", "yaml-value")


@pytest.mark.parametrize("surrogate", ["\udfff", "\ud800"])
def test_a_lone_surrogate_is_located(either_loader: None, surrogate: str) -> None:
    report = validate_ensemble_text(f"name: x\ndescription: a{surrogate}b\n")
    diagnostic = assert_diag(report, "yaml-syntax", (1, 14, 1, 15))
    assert diagnostic.message.startswith(f"unacceptable character #x{ord(surrogate):04x}")


def _bomb() -> str:
    anchors = ["x-anchors:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        anchors.append(f"  a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(anchors) + "\n"


@pytest.mark.parametrize(
    "use",
    [
        "agents: *a9",
        "agents:\n  - name: a\n    depends_on: *a9",
        "agents:\n  - name: a\n    prompt_template: *a9",
        "agents:\n  - name: a\n    options: {k: *a9}",
        "agents:\n  - name: a\n    output_schema: {properties: *a9}",
        "ignored_key: *a9\nagents: []",
    ],
)
def test_an_alias_bomb_anywhere_is_refused_in_bounded_memory(use: str) -> None:
    text = _bomb() + "name: bomb\n" + use + "\n"
    assert len(text) < 1000
    tracemalloc.start()
    try:
        report = validate_ensemble_text(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_only(report, "yaml-alias-limit")
    assert f"past {EXPANSION_LIMIT:,} values" in report.diagnostics[0].message
    assert peak < 50 * 1024**2  # before: past 4 GB


def test_a_bomb_through_merge_keys_is_refused_on_the_merge_key() -> None:
    text = "m0: &m0 {k0: 1, k1: 2, k2: 3, k3: 4, k4: 5, k5: 6, k6: 7, k7: 8, k8: 9}\n" + "".join(
        f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * 9) + "]}\n" for i in range(1, 10)
    )
    report = validate_ensemble_text(text + "name: x\nagents: []\n")
    [diagnostic] = report.diagnostics
    assert diagnostic.code == "yaml-alias-limit"
    assert report.data is None
    line = span(diagnostic.range)[0]
    assert text.splitlines()[line][span(diagnostic.range)[1] :].startswith("<<")


def test_aliases_that_expand_modestly_still_read_as_pyyaml_reads_them() -> None:
    text = (
        "base: &base {model_profile: default, options: &o {seed: 1}}\n"
        "name: x\n"
        "agents:\n" + "".join(f"  - {{<<: *base, name: a{i}, options: *o}}\n" for i in range(200))
    )
    report = validate_ensemble_text(text)
    assert report.data == yaml.safe_load(text)
    assert_only(report, "ignored-key")  # `base:` is someone's own key, ignored


def test_an_alias_to_a_bad_value_is_reported_on_the_key_that_uses_it() -> None:
    text = (
        "x-shared: &shared [a, b]\n"
        "name: x\n"
        "agents:\n"
        "  - name: a\n"
        "    prompt_template: *shared\n"
        "  - name: b\n"
        "    prompt_template: *shared\n"
    )
    report = validate_ensemble_text(text)
    assert_diag(report, "invalid-type", (4, 4, 4, 19))
    assert_diag(report, "invalid-type", (6, 4, 6, 19))


def test_an_unfinished_key_at_the_end_without_a_final_newline_stays_inside_the_text() -> None:
    for text in ("a: 1\nb", "name: x\nagents: []\nb", "a: [1,\n"):
        report = validate_ensemble_text(text)
        lines = text.split("\n")
        for diagnostic in report.diagnostics:
            for position in (diagnostic.range.start, diagnostic.range.end):
                assert position.line < len(lines), (text, listing(report))
                assert position.column <= len(lines[position.line]), (text, listing(report))


@pytest.mark.parametrize(
    ("line", "written", "kind"),
    [
        ("    options: {1: x}", "1", "an integer"),
        ("    options: {yes: x}", "yes", "true/false"),
        ("    options: {~: x}", "~", "empty (null)"),
        ("    output_schema: {2024-01-01: x}", "2024-01-01", "a date"),
    ],
)
def test_keys_that_are_not_text_are_errors_on_the_key(line: str, written: str, kind: str) -> None:
    report = validate_ensemble_text(f"name: x\nagents:\n  - name: a\n{line}\n")
    start = line.index(written)
    diagnostic = assert_diag(report, "invalid-key", (3, start, 3, start + len(written)))
    assert diagnostic.message == (
        f"key '{written}' is read as {kind}, not as a name; keys must be text "
        f'(quote it: "{written}")'
    )
    assert not report.ok


def test_a_non_text_key_at_the_top_is_one_error_not_also_an_ignored_key() -> None:
    report = validate_ensemble_text("name: x\n1: y\nagents:\n  - name: a\n")
    assert_only(report, "invalid-key")


def test_a_profiles_file_with_a_non_text_profile_name_is_refused() -> None:
    report = validate_profiles_text("model_profiles:\n  3: {model: m, provider: local}\n")
    assert_diag(report, "invalid-key", (1, 2, 1, 3))
    assert not report.ok


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_yaml_only_line_breaks_do_not_shift_lines_as_editors_count_them(
    either_loader: None, separator: str
) -> None:
    # YAML breaks lines at U+2028/U+2029/U+0085; LSP clients (and `path:line:col`) do not.
    text = f'name: x\ndescription: "one{separator}two"\nagents:\n  - name: a\n    temprature: 1\n'
    report = validate_ensemble_text(text)
    diagnostic = assert_diag(report, "unknown-key", (4, 4, 4, 14))
    assert diagnostic.format("e.yaml").startswith("e.yaml:5:5: error[unknown-key]")
    same_line = f"name: x\nagents: [{{name: a, system_prompt: 'x{separator}y', temprature: 1}}]\n"
    column = same_line.split("\n")[1].index("temprature")
    after = validate_ensemble_text(same_line)
    assert_diag(after, "unknown-key", (1, column, 1, column + len("temprature")))


def test_text_range_and_syntax_errors_after_a_yaml_only_break_are_in_lsp_lines() -> None:
    text = "description: 'a\u2028b'\nname: x\nagents:\n  - name: a\n    model_profile: b: c\n"
    report = validate_ensemble_text(text)
    diagnostic = report.diagnostics[0]
    assert diagnostic.code == "yaml-syntax"
    assert span(diagnostic.range)[:2] == (4, 20)
    parsed = parse_yaml("description: 'a\u2028b'\nagents:\n  - prompt_template: '{deps.z}'\n")
    where = parsed.source.text_range(("agents", 0, "prompt_template"), "{deps.z}")
    assert span(where) == (2, 22, 2, 30)  # in "  - prompt_template: '{deps.z}'"


def test_read_header_never_raises_and_reads_only_text() -> None:
    assert read_header("name: a\ndescription: b\nx: !!int z\n", ("name", "description")) == {
        "name": "a",
        "description": "b",
    }
    assert read_header("name: [\n", ("name",)) is None
    assert read_header("name: \udfff\n", ("name",)) is None
    assert read_header("name: 12\n", ("name",)) == {}
    assert read_header("- a\n", ("name",)) == {}


def test_warnings_stay_warnings_with_hostile_neighbours() -> None:
    report = validate_ensemble_text("name: x\nserves: [a]\nagents:\n  - name: a\n")
    assert [d.severity for d in report.diagnostics] == [Severity.WARNING]


def test_a_bomb_inside_a_tagged_collection_is_refused() -> None:
    uses = ", ".join(f"{{k{i}: *a8}}" for i in range(9))
    report = validate_ensemble_text(_bomb() + f"name: x\nomap: !!omap [{uses}]\nagents: []\n")
    assert_only(report, "yaml-alias-limit")


@pytest.mark.parametrize(
    "text",
    [
        "name: &r !!omap [{a: *r}]\n",  # a tagged collection holding itself
        "m: &m {<<: *m}\nname: x\n",  # a mapping merging itself
    ],
)
def test_self_reference_is_a_located_error_not_a_recursion(text: str) -> None:
    report = validate_ensemble_text(text)
    assert len(report.diagnostics) == 1, listing(report)
    assert report.diagnostics[0].code == "yaml-syntax"
    assert report.data is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("? [a, b]\n: c\nname: x\n", "yaml-syntax"),  # an unhashable key
        ("? !!int [a]\n: c\nname: x\n", "yaml-value"),  # a key its tag cannot hold
    ],
)
def test_collection_keys_are_located_errors(text: str, code: str) -> None:
    report = validate_ensemble_text(text)
    assert [d.code for d in report.diagnostics] == [code], listing(report)
    assert span(report.diagnostics[0].range)[0] == 0
