"""Reading a model's fields and a JSON Schema's properties in the same terms, to compare them."""

from __future__ import annotations

import types
import typing
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from llm_orc.validation.schema_fastpath import MARKERS

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
