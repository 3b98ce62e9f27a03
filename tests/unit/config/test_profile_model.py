"""`ModelProfile` and `schema/profiles.schema.json` agree; every valid profile builds."""

from __future__ import annotations

import dataclasses
import typing
from datetime import timedelta
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from llm_orc.config.profiles import ModelProfile
from llm_orc.errors import InvalidFieldError
from llm_orc.schemas import load_schema
from llm_orc.validation import validate_profiles_text
from support.schema_documents import documents
from support.schema_fields import (
    json_types,
    marked,
    schema_constraints,
    schema_types,
    value_constraints,
)

SCHEMA = load_schema("profiles")
PROFILE_SCHEMA = SCHEMA["$defs"]["profile"]
DOCUMENT_ONLY = {"cost_per_token": "the public format's one price; read as both per-million prices"}
CODE_ONLY = {"source": "where the profile was defined; not in the document"}
HINTS = typing.get_type_hints(ModelProfile, include_extras=True)
FIELDS = [f for f in dataclasses.fields(ModelProfile) if f.name not in CODE_ONLY]


def test_every_schema_key_is_a_field_and_every_field_a_schema_key() -> None:
    keys = {name for name, sub in PROFILE_SCHEMA["properties"].items() if not marked(sub)}
    assert keys - set(DOCUMENT_ONLY) == {f.name for f in FIELDS}


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_types_agree(field: dataclasses.Field[Any]) -> None:
    held = json_types(HINTS[field.name])
    allowed = schema_types(PROFILE_SCHEMA["properties"][field.name])
    assert held | ({"integer"} if "number" in held else set()) == allowed | (
        {"integer"} if "number" in allowed else set()
    )


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_bounds_agree(field: dataclasses.Field[Any]) -> None:
    subschema = PROFILE_SCHEMA["properties"][field.name]
    kind = min(json_types(HINTS[field.name]))
    assert value_constraints(HINTS[field.name]) == schema_constraints(subschema, kind)


def test_required_keys_are_what_a_profile_document_must_give() -> None:
    assert set(PROFILE_SCHEMA["required"]) == {"model", "provider"}
    # name is the mapping key (or the top-level `name:` of a single-profile file)
    assert all(
        f.default is None or f.default_factory is dict  # type: ignore[comparison-overlap]
        for f in FIELDS
        if f.name != "name"
    )


CI_SETTINGS = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILES = documents(PROFILE_SCHEMA, SCHEMA)
NAMES = st.text(min_size=1, max_size=10)


@st.composite
def profile_files(draw: st.DrawFn) -> dict[str, Any]:
    """A config file's `model_profiles:` mapping, or a single-profile file."""
    if draw(st.booleans()):
        return {"model_profiles": draw(st.dictionaries(NAMES, PROFILES, min_size=1, max_size=3))}
    return {**draw(PROFILES), "name": draw(NAMES)}


def profiles_in(data: dict[str, Any]) -> list[ModelProfile]:
    if "model_profiles" in data:
        bodies = data["model_profiles"].items()
        return [ModelProfile.from_mapping(str(name), body, "f.yaml") for name, body in bodies]
    return [ModelProfile.from_mapping(str(data["name"]), data, "f.yaml")]


def whole(value: Any) -> Any:
    """Integers of a document written as floats where that is exact (`2.0`)."""
    if isinstance(value, dict):
        return {key: whole(item) for key, item in value.items()}
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53:
        return float(value)
    return value


@CI_SETTINGS
@given(profile_files(), st.booleans())
def test_every_profile_the_validator_accepts_builds_and_reads_back_the_same(
    document: dict[str, Any], as_floats: bool
) -> None:
    text = yaml.safe_dump(whole(document) if as_floats else document, allow_unicode=True)
    report = validate_profiles_text(text)
    assume(report.ok)
    for profile in profiles_in(report.data):
        for name, declared in HINTS.items():
            if json_types(declared) == {"integer"}:  # `2.0` in the file is the integer 2
                value = getattr(profile, name)
                assert value is None or type(value) is int, name
        again = validate_profiles_text(yaml.safe_dump({**profile.to_dict(), "name": profile.name}))
        assert again.ok, [d.message for d in again.errors]
        assert ModelProfile.from_mapping(profile.name, again.data, "f.yaml") == profile


def test_the_public_single_price_becomes_both_per_million_prices() -> None:
    profile = ModelProfile.from_mapping(
        "p", {"model": "m", "provider": "local", "cost_per_token": 2e-6}, "f.yaml"
    )
    assert profile.price_per_million_input_tokens == pytest.approx(2.0)
    assert profile.price_per_million_output_tokens == pytest.approx(2.0)


def test_a_value_no_field_can_hold_is_a_one_line_error_naming_profile_and_key() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        ModelProfile.from_mapping("p", {"model": "m", "max_tokens": 2.5}, "f.yaml")
    assert str(caught.value).startswith("f.yaml: profile 'p': 'max_tokens': ")
