"""What is where in an ensemble: the line scanner, the cursor context, the per-version cache."""

from __future__ import annotations

import pytest

from llm_orc.lsp import yaml_context
from llm_orc.lsp.yaml_context import as_yaml_scalar, cursor_context, state_for, state_of
from llm_orc.lsp.yaml_outline import scan, split_lines
from llm_orc.validation.diagnostics import Position, Range
from support.lsp import CURSOR, text_document

ENSEMBLE = """\
name: review
agents:
  - name: reader
    system_prompt: |
      Read it.
      note: not a key
  - {name: critic, depends_on: [reader]}
  - name: "writer"
    depends_on:
      - reader
      - agent_name: critic
    prompt_template: "Use {deps.reader} and {deps.critic}"
"""


def values(text: str) -> dict[tuple[str | int, ...], str | None]:
    return {entry.path: entry.value for entry in scan(split_lines(text)).entries}


def test_the_scanner_reads_block_and_flow_structure_and_skips_block_scalars() -> None:
    found = values(ENSEMBLE)
    assert found[("agents", 0, "name")] == "reader"
    assert ("agents", 0, "note") not in found  # inside the block scalar
    assert found[("agents", 1, "name")] == "critic"
    assert found[("agents", 1, "depends_on", 0)] == "reader"
    assert found[("agents", 2, "name")] == "writer"  # unquoted
    assert found[("agents", 2, "depends_on", 0)] == "reader"
    assert found[("agents", 2, "depends_on", 1, "agent_name")] == "critic"
    assert found[("agents", 2, "prompt_template")] == "Use {deps.reader} and {deps.critic}"


def test_the_scanner_agrees_with_the_parse_on_a_valid_document() -> None:
    state = state_for("file:///a.yaml", 1, ENSEMBLE)
    assert state.parses
    from_parse = [(a.name, a.name_range, a.deps) for a in state.agents]
    state.__dict__.pop("index")
    state.__dict__.pop("by_path")
    state.__dict__.pop("agents")
    state.__dict__["parsed"] = yaml_context.parse_yaml("[")  # as if it did not parse
    assert not state.parses
    from_scanner = [(a.name, a.name_range, a.deps) for a in state.agents]
    assert from_scanner == from_parse
    assert from_parse[2] == (
        "writer",
        Range.at(7, 10, 7, 18),
        [("reader", Range.at(9, 8, 9, 14)), ("critic", Range.at(10, 20, 10, 26))],
    )


def test_an_unclosed_flow_list_does_not_swallow_the_agents_after_it() -> None:
    text = "agents:\n  - name: a\n    depends_on: [b, \n  - name: b\n    model_profile: x\n"
    found = values(text)
    assert found[("agents", 0, "depends_on", 0)] == "b"
    assert found[("agents", 1, "name")] == "b"
    assert found[("agents", 1, "model_profile")] == "x"


def test_a_flow_list_over_several_lines_is_read() -> None:
    text = "agents:\n  - name: c\n    depends_on: [a,\n      'b']\n    model: m\n"
    found = values(text)
    assert found[("agents", 0, "depends_on", 1)] == "b"
    assert found[("agents", 0, "model")] == "m"


def test_an_indentless_list_and_a_multiline_quoted_string() -> None:
    text = 'agents:\n- name: a\n  system_prompt: "one\n    two: three"\n- name: b\nname: n\n'
    found = values(text)
    assert found[("agents", 1, "name")] == "b"
    assert ("agents", 0, "two") not in found
    assert found[("name",)] == "n"


def context_of(marked: str) -> tuple[str, tuple[str | int, ...], str | None, str, str] | None:
    offset = marked.index(CURSOR)
    text = marked.replace(CURSOR, "", 1)
    before = text[:offset]
    at = Position(before.count("\n"), len(before) - before.rfind("\n") - 1)
    context = cursor_context(state_for("file:///c.yaml", None, text), at)
    if context is None:
        return None
    return context.kind, context.container, context.key, context.typed, context.lead


AGENT = "name: x\nagents:\n  - name: a\n"


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        (f"{AGENT}    mod‸\n", ("key", ("agents", 0), None, "mod", "")),
        (f"{AGENT}    ‸\n", ("key", ("agents", 0), None, "", "")),
        (f"{AGENT}‸", ("key", (), None, "", "")),
        (f"{AGENT}    retries:\n      ‸\n", ("key", ("agents", 0, "retries"), None, "", "")),
        (f"{AGENT}    model_profile: fa‸\n", ("value", ("agents", 0), "model_profile", "fa", "")),
        (f"{AGENT}    model_profile:‸", ("value", ("agents", 0), "model_profile", "", " ")),
        (f'{AGENT}    provider: "lo‸"\n', ("value", ("agents", 0), "provider", "lo", "")),
        (f"{AGENT}  - ‸\n", ("item", ("agents",), None, "", "")),
        (
            f"{AGENT}    depends_on:\n      -‸\n",
            ("item", ("agents", 0, "depends_on"), None, "", " "),
        ),
        (f"{AGENT}    depends_on: [b, c‸", ("item", ("agents", 0, "depends_on"), None, "c", "")),
        (f"{AGENT}    depends_on: [b,‸]\n", ("item", ("agents", 0, "depends_on"), None, "", " ")),
        (
            f"{AGENT}    depends_on:\n      - agent_name: ‸\n",
            ("value", ("agents", 0, "depends_on", 0), "agent_name", "", ""),
        ),
        ("name: x\nagents:\n  - {name: a, ‸}\n", ("key", ("agents", 0), None, "", "")),
        (
            "name: x\nagents:\n  - {name: a, output_format: j‸}\n",
            ("value", ("agents", 0), "output_format", "j", ""),
        ),
        ("name: x\nagents:\n- name: a\n  ‸\n", ("key", ("agents", 0), None, "", "")),
        (f"{AGENT}    system_prompt: |\n      text\n    ‸\n", ("key", ("agents", 0), None, "", "")),
    ],
)
def test_the_cursor_context(marked: str, expected: tuple[object, ...]) -> None:
    assert context_of(marked) == expected


@pytest.mark.parametrize(
    "marked",
    [
        f"{AGENT}    system_prompt: |\n      text‸\n",  # inside a block scalar
        f"{AGENT}    # a comm‸\n",
        f"{AGENT}    depends_on: [b ‸",  # after a finished word: a space belongs to it
        f"{AGENT}    system_prompt: You ‸\n",
    ],
)
def test_no_context_where_nothing_can_be_completed(marked: str) -> None:
    assert context_of(marked) is None


def test_each_version_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = yaml_context.parse_yaml

    def counting(text: str) -> yaml_context.ParsedYaml:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(yaml_context, "parse_yaml", counting)
    first = text_document("name: a\n", path="/cache/one.yaml", version=7)
    assert state_of(first).parses and state_of(first).parses
    assert state_of(first) is state_of(first)
    assert len(calls) == 1
    second = text_document("name: b\n", path="/cache/one.yaml", version=8)
    assert state_of(second).parses
    assert len(calls) == 2


def test_name_occurrences_cover_definitions_dependencies_and_placeholders() -> None:
    state = state_for("file:///n.yaml", 1, ENSEMBLE)
    reader = [(o.kind, o.range, o.text_range) for o in state.names if o.name == "reader"]
    line = ENSEMBLE.splitlines()[11]
    start = line.index("reader")
    assert reader == [
        ("definition", Range.at(2, 10, 2, 16), Range.at(2, 10, 2, 16)),
        ("dependency", Range.at(6, 32, 6, 38), Range.at(6, 32, 6, 38)),
        ("dependency", Range.at(9, 8, 9, 14), Range.at(9, 8, 9, 14)),
        ("placeholder", Range.at(11, start, 11, start + 6), Range.at(11, start, 11, start + 6)),
    ]
    [writer] = [o for o in state.names if o.name == "writer"]
    assert (writer.range, writer.text_range) == (Range.at(7, 10, 7, 18), Range.at(7, 11, 7, 17))


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("reader", "reader"),
        ("größe 2", "größe 2"),
        ("yes", '"yes"'),
        ("12", '"12"'),
        ("a: b", '"a: b"'),
        ("x,y", '"x,y"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("trailing ", '"trailing "'),
    ],
)
def test_names_are_written_as_yaml_that_reads_back_the_same(name: str, written: str) -> None:
    assert as_yaml_scalar(name) == written
