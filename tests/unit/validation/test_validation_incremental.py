"""Validating an edit with the previous report (`previous=`, the language server's path) gives
exactly the report of validating the new text from scratch: every step of generated edit
sequences (typing, deleting, new lines, pasted YAML syntax, edits at item boundaries) is
checked against the full validator (codes, messages, ranges, related locations, data).

Reproducible in CI: derandomized, no example database, a fixed number of examples."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_orc.config.profiles import builtin_profiles
from llm_orc.validation import ValidationReport, validate_ensemble_text

PROFILES = builtin_profiles()
PROVIDERS = ["local", "scripted"]
EDIT_SETTINGS = settings(
    max_examples=150,
    deadline=timedelta(seconds=5),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

AGENT_FORMS = [
    '  - name: a{i}\n    model_profile: default\n    system_prompt: "You are {i}. Version 0."\n',
    "  - name: a{i}\n    depends_on: [a{j}]\n    prompt_template: plain words {{input}}\n",
    "  - name: a{i}\n    system_prompt: |\n      line one of {i}\n      line two\n\n"
    "    temperature: 0.5\n",
    "  # agent {i}\n  - name: a{i}\n    depends_on:\n      - a{j}\n    max_tokens: 10\n",
    "  - name: a{i}\n    model_profile: nope\n    temprature: 0.3\n    options: {{seed: 1}}\n",
    "  - name: a{i}\n    system_prompt: >\n      folded {i}\n    depends_on: [ghost]\n\n",
    "  - name: a{i}\n    output_schema: {{type: object}}\n    system_prompt: 'it''s {i}'\n",
    '  - name: a{i}\n    system_prompt: "two\n      lines {i}"\n'
    "    description: plain\n      more\n",
    "  - name: a{i}\n    system_prompt: |+\n      kept {i}\n\n\n  # between\n",
    "  - name: a{i}\n    prompt_template: >-\n      {{input}}\n    depends_on: [a{j}, a{i}]\n",
    '  - name: a{i}\n    system_prompt: "Be **brief**! & kind *{i}*"\n    max_tokens: !!int 7\n',
    "  - name: a{i}\n    system_prompt: &p{i} shared\n    prompt_template: plain & {{input}}!\n",
    "  - name: a{i}\n    system_prompt: &q{i} shared\n    prompt_template: *q{i}\n",
]
INSERTS = [
    "a",
    "7",
    " ",
    "  ",
    "\n",
    "\n  ",
    ":",
    ": ",
    "-",
    "- ",
    "  - ",
    "#",
    " # note",
    "&a ",
    "*a",
    "<<: *a",
    "[",
    "]",
    "{",
    "}",
    ",",
    '"',
    "'",
    "|",
    ">",
    "!!int ",
    "!x ",
    "---\n",
    "...\n",
    "\t",
    "\r\n",
    "\u2028",
    "\udfff",
    "\x00",
    "\x85",
    "\ufeff",
    "é",
    "name: a1\n",
    "  - name: z\n",
    "    depends_on: [a0]\n",
    "    name: dup\n",
    "    model_profile: default\n",
    "  temperature: 2\n",
    ".nan",
    "null",
    "yes",
    " !!omap [a: 1, b: 2]",
    " !!set {a, b}",
    "\n    options: !!pairs [a: 1]\n",
]


def documents() -> st.SearchStrategy[str]:
    def build(forms: list[int], tail: bool, head: bool, flush: bool) -> str:
        lines = ["name: edited\n"]
        if head:
            lines.append("description: a document to edit\n")
        lines.append("agents:\n")
        for i, form in enumerate(forms):
            agent = AGENT_FORMS[form].format(i=i, j=max(i - 1, 0))
            if flush:  # the items at the column of `agents:` itself
                agent = "".join(line[2:] for line in agent.splitlines(keepends=True))
            lines.append(agent)
        if tail:
            lines.append("default_task: go\n")
        return "".join(lines)

    return st.builds(
        build,
        st.lists(st.integers(0, len(AGENT_FORMS) - 1), min_size=1, max_size=6),
        st.booleans(),
        st.booleans(),
        st.booleans(),
    )


@st.composite
def edit(draw: st.DrawFn, text: str) -> str:
    """TEXT with one edit: at a random offset or at the start/end of a random line, delete a
    few characters and/or insert a snippet."""
    lines = text.splitlines(keepends=True) or [""]
    where = draw(st.sampled_from(["offset", "line start", "line end", "after indent"]))
    if where == "offset":
        at = draw(st.integers(0, len(text)))
    else:
        line = draw(st.integers(0, len(lines) - 1))
        start = sum(map(len, lines[:line]))
        body = lines[line].rstrip("\r\n")
        column = {
            "line start": 0,
            "line end": len(body),
            "after indent": len(body) - len(body.lstrip(" ")),
        }[where]
        at = start + column
    deleted = draw(st.integers(0, 4)) if draw(st.booleans()) else 0
    inserted = draw(st.sampled_from(INSERTS)) if deleted == 0 or draw(st.booleans()) else ""
    return text[:at] + inserted + text[at + deleted :]


def _full(text: str) -> ValidationReport:
    return validate_ensemble_text(text, profiles=PROFILES, providers=PROVIDERS)


def _incremental(text: str, previous: ValidationReport | None) -> ValidationReport:
    return validate_ensemble_text(
        text, profiles=PROFILES, providers=PROVIDERS, previous=previous, for_edits=True
    )


def _assert_same(incremental: ValidationReport, full: ValidationReport, text: str) -> None:
    assert incremental.diagnostics == full.diagnostics, text
    # repr: a NaN is not equal to itself
    assert incremental.data == full.data or repr(incremental.data) == repr(full.data), text
    assert incremental.waits_for_prices == full.waits_for_prices
    # Every path's ranges, not only those a diagnostic happened to use.
    assert incremental.source.entries().keys() == full.source.entries().keys()
    for path in full.source.entries():
        assert incremental.source.key_range(path) == full.source.key_range(path), path
        assert incremental.source.value_range(path) == full.source.value_range(path), path
        assert incremental.source.first_key_range(path) == full.source.first_key_range(path)


@EDIT_SETTINGS
@given(st.data(), documents(), st.integers(1, 8))
def test_every_step_of_an_edit_sequence_matches_the_full_validator(
    data: st.DataObject, text: str, steps: int
) -> None:
    report = _incremental(text, None)
    _assert_same(report, _full(text), text)
    for _ in range(steps):
        text = data.draw(edit(text))
        report = _incremental(text, report)
        _assert_same(report, _full(text), text)


@EDIT_SETTINGS
@given(st.data(), documents(), st.integers(1, 12))
def test_typing_inside_one_agent_matches_the_full_validator(
    data: st.DataObject, text: str, steps: int
) -> None:
    """Keystrokes (one character typed or deleted) at one place, as a user types."""
    at = data.draw(st.integers(0, len(text)))
    report = _incremental(text, None)
    for _ in range(steps):
        if data.draw(st.booleans()) and at > 0:
            text, at = text[: at - 1] + text[at:], at - 1
        else:
            typed = data.draw(st.sampled_from(["x", "1", " ", ":", "\n", "-", "'", '"', "#"]))
            text, at = text[:at] + typed + text[at:], at + 1
        report = _incremental(text, report)
        _assert_same(report, _full(text), text)


@EDIT_SETTINGS
@given(st.data(), documents(), st.integers(2, 8))
def test_any_earlier_report_can_be_the_previous_one(
    data: st.DataObject, text: str, steps: int
) -> None:
    """Reports are never changed by a later validation: an edit validated against an older
    report (an editor that undid a change, a check that was superseded) is exact too."""
    history = [(text, _incremental(text, None))]
    for _ in range(steps):
        base_text, base = data.draw(st.sampled_from(history))
        text = data.draw(edit(base_text))
        report = _incremental(text, base)
        _assert_same(report, _full(text), text)
        history.append((text, report))
    for old_text, old in history:  # and each report still says what it said
        _assert_same(old, _full(old_text), old_text)


def _agents(count: int) -> str:
    return "name: many\nagents:\n" + "".join(
        AGENT_FORMS[i % 3].format(i=i, j=max(i - 1, 0)) for i in range(count)
    )


def test_an_edit_inside_one_agent_reuses_the_others() -> None:
    """The point of it: the untouched agents' parsed nodes are the previous report's."""
    text = _agents(20)
    before = _incremental(text, None)
    edited = text.replace("You are 9. Version 0.", "You are 9. Version 12.")
    after = _incremental(edited, before)
    _assert_same(after, _full(edited), edited)
    assert after.splice is not None
    assert after.source.entry(("agents", 3))[1] is before.source.entry(("agents", 3))[1]
    assert after.source.entry(("agents", 9))[1] is not before.source.entry(("agents", 9))[1]
    assert after.data["agents"][9]["system_prompt"] == "You are 9. Version 12."


def test_a_new_line_inside_one_agent_moves_the_agents_after_it() -> None:
    text = _agents(20) + "default_task: go\n"
    before = _incremental(text, None)
    edited = text.replace("You are 9. Version 0.", "You are 9.\n      Version 0.")
    after = _incremental(edited, before)
    _assert_same(after, _full(edited), edited)
    assert after.splice is not None
    assert after.source.entry(("agents", 3))[1] is before.source.entry(("agents", 3))[1]
    moved = after.source.key_range(("agents", 12, "name"))
    assert moved.start.line == before.source.key_range(("agents", 12, "name")).start.line + 1
    assert after.source.key_range(("default_task",)).start.line == edited.count("\n") - 1
    again = _incremental(text, after)  # and back: the previous report is unchanged
    _assert_same(again, _full(text), text)
    assert before.source.key_range(("agents", 12, "name")) == again.source.key_range(
        ("agents", 12, "name")
    )


def test_an_edit_the_splice_cannot_prove_safe_is_parsed_again() -> None:
    """An alias anywhere makes every node suspect: the whole text is parsed."""
    text = _agents(6)
    before = _incremental(text, None)
    edited = text.replace('"You are 3. Version 0."', "&v text\n    description: *v")
    after = _incremental(edited, before)
    _assert_same(after, _full(edited), edited)
    assert after.source.entry(("agents", 0))[1] is not before.source.entry(("agents", 0))[1]
    assert after.splice is before.splice  # kept for the next edit: this text has none


def test_a_text_that_cannot_be_reused_passes_the_last_good_state_on() -> None:
    """While a key is being typed the agent does not parse; once it does, it is spliced into
    the last text that parsed, not parsed whole."""
    text = _agents(8)
    good = report = _incremental(text, None)
    at = text.index("  - name: a4") - 1  # the end of agent 3's last line
    line = "\n    temperature: 0.5"
    for typed in range(1, len(line) + 1):
        edited = text[:at] + line[:typed] + text[at:]
        report = _incremental(edited, report)
        _assert_same(report, _full(edited), edited)
        if report.data is None:  # "    temperatu": not YAML yet
            assert report.splice is good.splice  # passed on
        else:  # spliced into the last text that parsed, not parsed whole
            assert report.source.entry(("agents", 0))[1] is good.source.entry(("agents", 0))[1]
            good = report
    assert report.data["agents"][3]["temperature"] == 0.5


def test_stars_and_exclamation_marks_in_text_are_no_aliases_or_tags() -> None:
    text = _agents(6).replace("Version 0.", "Version 0. Be **brief**!")
    before = _incremental(text, None)
    edited = text.replace("You are 3.", "You are *3*!")
    after = _incremental(edited, before)
    _assert_same(after, _full(edited), edited)
    assert after.source.entry(("agents", 0))[1] is before.source.entry(("agents", 0))[1]


def test_an_agent_holding_a_tagged_collection_is_spliced_again() -> None:
    """`!!omap` is built by PyYAML: its members are not indexed, nothing to remove for them."""
    text = _agents(4)
    tagged = text.replace("model_profile: default", "options: !!omap [a: 1, b: 2]", 1)
    report = _incremental(tagged, _incremental(text, None))
    for edited in (tagged.replace("name: a0", "name: a00"), tagged):
        report = _incremental(edited, report)
        _assert_same(report, _full(edited), edited)
    assert report.splice is not None


def test_odd_characters_typed_into_an_agent_match_the_full_validator() -> None:
    """Each one alone (a lone surrogate once raised from inside the splice)."""
    text = _agents(6)
    before = _incremental(text, None)
    for odd in ["\udfff", "\ud800", "\x00", "\x07", "\x85", "\u2028", "\ufeff", "\t", "\r"]:
        for where in ("You are 3.", "  - name: a3", "    model_profile: default\n  - name: a4"):
            edited = text.replace(where, where[:5] + odd + where[5:], 1)
            _assert_same(_incremental(edited, before), _full(edited), edited)


def test_the_report_without_for_edits_keeps_nothing() -> None:
    assert _full(_agents(3)).splice is None
