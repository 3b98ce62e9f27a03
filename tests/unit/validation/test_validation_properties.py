"""Property tests: valid ensembles and profiles files, mutated the ways an outside robustness
run crashed the validator (tags inserted, characters replaced, lone surrogates, truncation,
aliases and alias bombs, odd keys), must never raise, must keep every range inside the text,
and a document that validates must build.

Reproducible in CI: derandomized, no example database, a fixed number of examples, and a
deadline per example (a hostile document once took minutes)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.validation import (
    Range,
    ValidationReport,
    validate_ensemble_text,
    validate_profiles_text,
)
from llm_orc.validation.yaml_index import read_header

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "validation"
ENSEMBLES = [
    (FIXTURES / "own-format-pipeline.yaml").read_text(encoding="utf-8"),
    (FIXTURES / "public-format-review.yaml").read_text(encoding="utf-8"),
    (FIXTURES / "public-format-ignored-keys.yaml").read_text(encoding="utf-8"),
    "name: small\nagents:\n  - {name: a, model_profile: default, options: {seed: 1}}\n"
    "  - name: b\n    depends_on: [a]\n    output_schema: {type: object}\n",
]
PROFILES = [
    (FIXTURES / "public-format-config.yaml").read_text(encoding="utf-8"),
    "name: solo\nmodel: m\nprovider: local\nmax_tokens: 10\nfallback_model_profile: local\n",
]
PROVIDERS = ["local", "scripted"]
PROPERTY_SETTINGS = settings(
    max_examples=120,
    deadline=timedelta(seconds=2),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_LSP_BREAK = re.compile(r"\r\n|\n|\r")

TAGS = [
    "!!bool ",
    "!!int ",
    "!!float ",
    "!!timestamp ",
    "!!binary ",
    "!!null ",
    "!!str ",
    "!!set ",
    "!!omap ",
    "!!pairs ",
    "!!seq ",
    "!!map ",
    "!!python/object ",
    "!custom ",
    "!<tag:example.com,2000:x> ",
    "!!merge ",
]
ODD_CHARACTERS = [
    "\udfff",
    "\ud800",
    "\u2028",
    "\u2029",
    "\x85",
    "\x00",
    "\x07",
    "\t",
    "\ufeff",
    "\r",
    "\v",
    "\x1c",
    "🎵",
    ":",
    "-",
    "[",
    "{",
    "&",
    "*",
    "!",
    "|",
    ">",
    "'",
    '"',
    "%",
    "@",
    "`",
    "#",
    "? ",
    "<<: ",
]
FRAGMENTS = [
    "9" * 5000,
    "2024-13-45",
    "&x ",
    "*x",
    "&y [a, b]",
    "<<: *x\n",
    "{1: x}",
    "? [a]\n: b\n",
    "yes: no\n",
    "~: 1\n",
    "- ",
    "[" * 50,
    "\n---\n",
    "topaz_skill: x\n",
    "agnets: []\n",
]


def _bomb(levels: int, width: int) -> str:
    lines = ["x-bomb:", "  b0: &b0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"  b{level}: &b{level} [" + ", ".join([f"*b{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@st.composite
def mutated(draw: st.DrawFn, bases: list[str]) -> str:
    """One of BASES changed in one to four ways, at drawn places."""
    text = draw(st.sampled_from(bases))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["tag", "replace", "insert", "truncate", "alias", "bomb"]))
        at = draw(st.integers(0, len(text)))
        if kind == "tag":
            text = text[:at] + draw(st.sampled_from(TAGS)) + text[at:]
        elif kind == "replace" and text:
            at = min(at, len(text) - 1)
            text = text[:at] + draw(st.sampled_from(ODD_CHARACTERS)) + text[at + 1 :]
        elif kind == "insert":
            piece = draw(st.sampled_from([*FRAGMENTS, *ODD_CHARACTERS]))
            text = text[:at] + piece + text[at:]
        elif kind == "truncate":
            text = text[:at]
        elif kind == "alias":
            # An anchor on some value, and a use of it somewhere else (often a nonsense place).
            use = draw(st.integers(0, len(text)))
            first, second = sorted((at, use))
            text = text[:first] + "&z " + text[first:second] + " *z" + text[second:]
        else:
            levels, width = draw(st.integers(2, 9)), draw(st.integers(2, 9))
            uses = ["agents: *b", "depends_on: *b", "prompt_template: *b", "options: *b"]
            use = draw(st.sampled_from(uses)) + str(levels - 1)
            text = _bomb(levels, width) + text.replace("agents:", use + "\nignored:", 1)
    return text


def _lines(text: str) -> list[str]:
    return _LSP_BREAK.split(text)


def _assert_inside(text: str, range_: Range) -> None:
    lines = _lines(text)
    start, end = range_.start, range_.end
    assert start <= end, range_
    for position in (start, end):
        assert 0 <= position.line < len(lines), (range_, len(lines))
        assert 0 <= position.column <= len(lines[position.line]), (range_, lines[position.line])


def _assert_located(text: str, report: ValidationReport) -> None:
    for diagnostic in report.diagnostics:
        _assert_inside(text, diagnostic.range)
        for related in diagnostic.related:
            _assert_inside(text, related.range)
        assert diagnostic.message


def _profiles() -> dict[str, ModelProfile]:
    profiles = builtin_profiles()
    profiles["fast"] = ModelProfile(name="fast", model="m", provider="scripted")
    return profiles


@PROPERTY_SETTINGS
@given(mutated(ENSEMBLES))
def test_a_mutated_ensemble_gets_located_diagnostics_never_an_exception(text: str) -> None:
    report = validate_ensemble_text(text, profiles=_profiles(), providers=PROVIDERS)
    _assert_located(text, report)
    if report.ok:
        Ensemble.from_document(report.data)  # what validates, builds
    read_header(text, ("name", "description"))  # never raises either


@PROPERTY_SETTINGS
@given(mutated(PROFILES))
def test_a_mutated_profiles_file_gets_located_diagnostics_never_an_exception(text: str) -> None:
    report = validate_profiles_text(text, providers=PROVIDERS)
    _assert_located(text, report)


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from([*ODD_CHARACTERS, "a", "1", " ", "\n"]), max_size=40).map("".join))
def test_any_short_text_gets_located_diagnostics(text: str) -> None:
    _assert_located(text, validate_ensemble_text(text))
    _assert_located(text, validate_profiles_text(text))


@PROPERTY_SETTINGS
@given(st.integers(2, 12), st.integers(2, 12), st.sampled_from(ENSEMBLES))
def test_an_alias_bomb_of_any_shape_is_refused_or_read_in_bounded_work(
    levels: int, width: int, base: str
) -> None:
    text = _bomb(levels, width) + base.replace("agents:", f"agents: *b{levels - 1}\nold:", 1)
    report = validate_ensemble_text(text, profiles=_profiles(), providers=PROVIDERS)
    _assert_located(text, report)
    expanded = sum(width**level for level in range(1, levels + 1))
    if expanded > 200_000:
        assert [d.code for d in report.diagnostics] == ["yaml-alias-limit"]
