"""The ensemble models and `schema/ensemble.schema.json` say the same thing, key by key.

Keys, JSON types, enums, bounds and defaults of every model field are compared with the schema
property of the same name; the only differences allowed are listed (with the reason) below.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from llm_orc.config.ensemble import Agent, Ensemble, RetryPolicy
from llm_orc.schemas import load_schema
from llm_orc.validation.schema_fastpath import MARKERS

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

_BOUNDS = {
    annotated_types.Ge: ("minimum", "ge"),
    annotated_types.Gt: ("exclusiveMinimum", "gt"),
    annotated_types.Le: ("maximum", "le"),
    annotated_types.Lt: ("exclusiveMaximum", "lt"),
}
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def marked(subschema: Any) -> bool:
    return isinstance(subschema, dict) and any(subschema.get(m) is True for m in MARKERS)


def document_keys(schema: dict[str, Any]) -> dict[str, Any]:
    """The properties a document may use to mean something (not ignored or unsupported)."""
    return {name: sub for name, sub in schema["properties"].items() if not marked(sub)}


def json_types(annotation: Any) -> set[str]:
    """The JSON types a Python annotation holds (`None` left out: it means "not given")."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return json_types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(json_types(arg) for arg in typing.get_args(annotation)))
    if origin is typing.Literal:
        return {_SCALARS[type(value)] for value in typing.get_args(annotation)}
    if annotation is type(None):
        return set()
    if origin in (tuple, list) or annotation in (tuple, list):
        return {"array"}
    if origin is dict or annotation is dict:
        return {"object"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"object"}
    return {_SCALARS[annotation]}


def schema_types(subschema: dict[str, Any]) -> set[str]:
    if "anyOf" in subschema:
        return set().union(*(schema_types(branch) for branch in subschema["anyOf"]))
    if "enum" in subschema:
        return {_SCALARS[type(value)] for value in subschema["enum"]}
    kind = subschema["type"]
    return set(kind) if isinstance(kind, list) else {kind}


def literal_values(annotation: Any) -> list[Any] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return list(typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = literal_values(arg)
            if found is not None:
                return found
    return None


def constraints(metadata: list[Any]) -> dict[str, Any]:
    """Pydantic/annotated-types constraints as the JSON Schema keywords they correspond to."""
    out: dict[str, Any] = {}
    for item in metadata:
        for kind, (keyword, attribute) in _BOUNDS.items():
            if isinstance(item, kind):
                out[keyword] = getattr(item, attribute)
        if isinstance(item, annotated_types.MinLen):
            out["minLength"] = item.min_length
        if isinstance(item, FieldInfo):
            out.update(constraints(item.metadata))
    return out


def value_constraints(annotation: Any) -> dict[str, Any]:
    """Constraints on the value inside `Annotated[...]`, looking through `X | None`."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return constraints(list(annotation.__metadata__))
    if origin in (typing.Union, types.UnionType):
        found: dict[str, Any] = {}
        for arg in typing.get_args(annotation):
            found.update(value_constraints(arg))
        return found
    return {}


def schema_constraints(subschema: dict[str, Any], kind: str) -> dict[str, Any]:
    """The bound keywords of the branch of SUBSCHEMA for JSON type KIND."""
    branches = subschema.get("anyOf", [subschema])
    for branch in branches:
        if kind in schema_types(branch):
            keywords = (*(keyword for keyword, _ in _BOUNDS.values()), "minLength", "minItems")
            return {key: branch[key] for key in keywords if key in branch}
    return {}


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
