"""How values and suggestions read in diagnostic messages, so every check words them alike."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein, Indel

_SHOWN_CHARS = 40
_CLOSE = 0.6
_PREFILTER_FROM = 16
"""With more candidates than this, those that cannot reach `_CLOSE` are dropped first."""
_NEAR_MISS_EDITS = 2
"""A key this many edits (insert, delete, replace, swap two neighbours) from a known one is a
misspelling of it; one edit for known keys of four letters or fewer."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest candidate, or an empty string.

    difflib picks the match; among many candidates (500 agent names) rapidfuzz first drops
    those whose LCS ratio, an upper bound of difflib's ratio, is below the cutoff, so the
    answer is difflib's own at a fraction of its cost.
    """
    names = list(candidates)
    if len(names) > _PREFILTER_FROM:
        bound = _CLOSE - 1e-9  # float rounding must never drop a candidate difflib would keep
        names = [name for name in names if Indel.normalized_similarity(word, name) >= bound]
    matches = difflib.get_close_matches(word, names, n=1, cutoff=_CLOSE)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def near_miss(word: str, known: Iterable[str]) -> str | None:
    """The known key WORD is most likely a misspelling of (`temprature`, `depend_on`, `Agents`).

    Stricter than `did_you_mean`: a key that is not a near miss is someone's own metadata
    (`output_substrate` is not `output_schema`), which is ignored rather than refused.
    """
    written = word.strip().lower().replace("-", "_").replace(" ", "_")
    best: tuple[int, str] | None = None
    for candidate in known:
        limit = 1 if len(candidate) <= 4 else _NEAR_MISS_EDITS
        edits = DamerauLevenshtein.distance(written, candidate, score_cutoff=limit)
        if edits <= limit and (best is None or edits < best[0]):
            best = (edits, candidate)
    return None if best is None else best[1]


def quoted(values: Iterable[object]) -> str:
    """`'a', 'b', 'c'`."""
    return ", ".join(show(value) for value in values)


def show(value: Any) -> str:
    """A value as it would be written in YAML: scalars literally, collections by kind."""
    if isinstance(value, str):
        text = value if len(value) <= _SHOWN_CHARS else value[: _SHOWN_CHARS - 1] + "…"
        return f"'{text}'"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | date):
        return str(value)
    return kind_of(value)


def kind_of(value: Any) -> str:
    """`a mapping`, `a list`, `a string`, ... as YAML readers think of them."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if value is None:
        return "empty (null)"
    if isinstance(value, date):
        return "a date"
    return f"a {type(value).__name__}"


JSON_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def json_types(types: Iterable[str]) -> str:
    """JSON Schema type names as `a string or a mapping`."""
    return " or ".join(JSON_TYPES.get(name, name) for name in types)


def clause(description: str) -> str:
    """A schema description as a clause inside a sentence: lower-case start, no final period."""
    text = description.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text
