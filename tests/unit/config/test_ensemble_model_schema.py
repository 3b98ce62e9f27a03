"""The ensemble models and `schema/ensemble.schema.json` say the same thing, key by key.

Keys, JSON types, enums, bounds and defaults of every model field are compared with the schema
property of the same name; the only differences allowed are listed (with the reason) below.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from llm_orc.config.ensemble import Agent, Ensemble, RetryPolicy
from llm_orc.schemas import load_schema
from support.schema_fields import (
    constraints,
    document_keys,
    json_types,
    literal_values,
    marked,
    schema_constraints,
    schema_types,
    value_constraints,
)

SCHEMA = load_schema("ensemble")
AGENT_SCHEMA = SCHEMA["$defs"]["agent"]
RETRY_SCHEMA = next(
    branch for branch in AGENT_SCHEMA["properties"]["retries"]["anyOf"] if "properties" in branch
)

MODELS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (Ensemble, SCHEMA),
    (Agent, AGENT_SCHEMA),
    (RetryPolicy, RETRY_SCHEMA),
]
DOCUMENT_ONLY = {(Ensemble, "task"): "the public format's spelling of default_task"}
CODE_ONLY = {(Ensemble, "source"): "the file an ensemble was loaded from; not in the document"}
EXTRA_JSON_TYPES = {(Agent, "retries"): {"integer"}}
"""Forms a field takes beyond its annotation: `retries: N` is read as `{count: N}`."""
DEFAULT_WITHOUT_SCHEMA_DEFAULT = {
    (RetryPolicy, "count"): "required in a document's object form; 0 is the no-retry policy",
}


def fields_and_properties() -> list[tuple[type[BaseModel], str, FieldInfo, dict[str, Any]]]:
    out = []
    for model, schema in MODELS:
        properties = document_keys(schema)
        for name, field in model.model_fields.items():
            if (model, name) not in CODE_ONLY:
                out.append((model, name, field, properties[name]))
    return out


FIELDS = fields_and_properties()
IDS = [f"{model.__name__}.{name}" for model, name, _, _ in FIELDS]


@pytest.mark.parametrize(("model", "schema"), MODELS, ids=[m.__name__ for m, _ in MODELS])
def test_every_schema_key_is_a_field_and_every_field_a_schema_key(
    model: type[BaseModel], schema: dict[str, Any]
) -> None:
    keys = set(document_keys(schema)) - {name for m, name in DOCUMENT_ONLY if m is model}
    fields = set(model.model_fields) - {name for m, name in CODE_ONLY if m is model}
    assert keys - fields == set(), "schema keys without a model field"
    assert fields - keys == set(), "model fields the schema does not have"


@pytest.mark.parametrize(("model", "schema"), MODELS, ids=[m.__name__ for m, _ in MODELS])
def test_ignored_and_unsupported_keys_are_not_fields(
    model: type[BaseModel], schema: dict[str, Any]
) -> None:
    markers = {name for name, sub in schema["properties"].items() if marked(sub)}
    assert markers.isdisjoint(model.model_fields)


@pytest.mark.parametrize(("model", "name", "field", "subschema"), FIELDS, ids=IDS)
def test_types_agree(
    model: type[BaseModel], name: str, field: FieldInfo, subschema: dict[str, Any]
) -> None:
    held = json_types(field.annotation) | EXTRA_JSON_TYPES.get((model, name), set())
    allowed = schema_types(subschema)
    if "number" in allowed:
        allowed.add("integer")  # JSON Schema numbers include the integers, as float fields do
    if "number" in held:
        held.add("integer")
    assert held == allowed


@pytest.mark.parametrize(("model", "name", "field", "subschema"), FIELDS, ids=IDS)
def test_enums_agree(
    model: type[BaseModel], name: str, field: FieldInfo, subschema: dict[str, Any]
) -> None:
    assert literal_values(field.annotation) == subschema.get("enum")


@pytest.mark.parametrize(("model", "name", "field", "subschema"), FIELDS, ids=IDS)
def test_bounds_agree(
    model: type[BaseModel], name: str, field: FieldInfo, subschema: dict[str, Any]
) -> None:
    held = json_types(field.annotation)
    own = {**constraints(field.metadata), **value_constraints(field.annotation)}
    if "array" in held:  # a tuple: its length bounds, and its items' bounds (name strings)
        if "minLength" in own:
            own["minItems"] = own.pop("minLength")
        assert own == schema_constraints(subschema, "array")
        item = typing.get_args(field.annotation)[0]
        if json_types(item) == {"string"}:
            assert value_constraints(item) == schema_constraints(subschema["items"], "string")
        return
    assert own == schema_constraints(subschema, min(held))


@pytest.mark.parametrize(("model", "name", "field", "subschema"), FIELDS, ids=IDS)
def test_defaults_agree(
    model: type[BaseModel], name: str, field: FieldInfo, subschema: dict[str, Any]
) -> None:
    default = field.get_default(call_default_factory=True)
    if "default" in subschema:
        stated = subschema["default"]
        if isinstance(default, BaseModel):  # retries: the count stands for the whole policy
            assert default == RetryPolicy(count=stated)
        else:
            assert default == (tuple(stated) if isinstance(default, tuple) else stated)
    elif field.is_required():
        return
    elif (model, name) not in DEFAULT_WITHOUT_SCHEMA_DEFAULT:
        assert default is None, "a default the schema does not state"


def test_required_keys_are_required_fields() -> None:
    for model, schema in MODELS:
        required = set(schema.get("required", []))
        fields = {name for name, field in model.model_fields.items() if field.is_required()}
        allowed = {name for m, name in DEFAULT_WITHOUT_SCHEMA_DEFAULT if m is model}
        assert required - allowed == fields, model.__name__


def test_a_bare_retry_count_has_the_bounds_of_count() -> None:
    retries = AGENT_SCHEMA["properties"]["retries"]["anyOf"]
    (count_form,) = [branch for branch in retries if branch["type"] == "integer"]
    count = RetryPolicy.model_fields["count"]
    assert schema_types(count_form) == {"integer"}
    assert constraints(count.metadata) == schema_constraints(count_form, "integer")
