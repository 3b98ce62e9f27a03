"""Access to the JSON Schemas in `schema/`, which ship inside the wheel as `llm_orc/_schema/`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

SchemaName = Literal["ensemble", "events", "profiles", "providers", "result"]

_PACKAGED = Path(__file__).resolve().parent / "_schema"
_SOURCE_TREE = Path(__file__).resolve().parents[2] / "schema"


def schema_dir() -> Path:
    """The folder holding the schemas: packaged in a wheel, or the repository's `schema/`."""
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE_TREE


@cache
def load_schema(name: SchemaName) -> dict[str, Any]:
    """The parsed schema `NAME.schema.json` (cached: schemas never change at run time)."""
    with (schema_dir() / f"{name}.schema.json").open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@cache
def schema_validator(name: SchemaName) -> Validator:
    """A validator for NAME whose references to the other shipped schemas resolve offline."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry().with_resources(
        (load_schema(other)["$id"], Resource.from_contents(load_schema(other)))
        for other in get_args(SchemaName)
    )
    validator: Validator = Draft202012Validator(load_schema(name), registry=registry)
    return validator
