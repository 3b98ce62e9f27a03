"""`did_you_mean` among many candidates: rapidfuzz only narrows them, difflib still decides."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from llm_orc.validation.wording import did_you_mean

_NAMES = st.text(alphabet="abcdeg-_1", max_size=12)


def _difflib_alone(word: str, candidates: list[str]) -> str:
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""


@settings(max_examples=300, deadline=None)
@given(_NAMES, st.lists(_NAMES, min_size=17, max_size=60))
def test_the_suggestion_is_difflibs_own(word: str, candidates: list[str]) -> None:
    assert did_you_mean(word, candidates) == _difflib_alone(word, candidates)


def test_a_misspelt_agent_among_500_gets_its_name() -> None:
    names = [f"agent-{i}" for i in range(500)] + ["summariser"]
    assert did_you_mean("sumariser", names) == "; did you mean 'summariser'?"
    assert did_you_mean("ghost", names) == _difflib_alone("ghost", names)


def test_a_ratio_exactly_at_the_cutoff_still_counts() -> None:
    # 'abcde' and 'abcxy' share 3 of their 10 characters' worth: a ratio of exactly 0.6.
    names = [f"zz{i}" for i in range(40)] + ["abcxy"]
    assert did_you_mean("abcde", names) == "; did you mean 'abcxy'?"
