"""Hypothesis strategies for documents that match one of our JSON Schemas.

Scalars and `anyOf`s of them come from hypothesis-jsonschema. Objects are composed here:
hypothesis-jsonschema re-merges object schemas on every draw, which costs about half a second
per ensemble; composed, a hundred documents take a few seconds. An object with `properties`
gets those keys only, whatever `additionalProperties` says (unknown keys are tested on their
own); a free-form one (`type: object` alone) gets arbitrary JSON values. Keys marked
`x-llm-orc-unsupported` are never generated (the validator rejects them by design); keys marked
`x-llm-orc-ignored` get arbitrary JSON values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from llm_orc.validation.schema_fastpath import MARKERS

_IGNORED, _UNSUPPORTED = MARKERS
_ANNOTATIONS = frozenset({"description", "default", "title"})

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Any JSON value (finite numbers, string keys): what an ignored key may hold."""


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        target: Any = root
        for step in schema["$ref"].removeprefix("#/").split("/"):
            target = target[step]
        schema = target
    return schema


def _plain(schema: Any) -> Any:
    """SCHEMA without our `x-` keywords, which hypothesis-jsonschema does not know."""
    if isinstance(schema, dict):
        return {k: _plain(v) for k, v in schema.items() if not k.startswith("x-")}
    if isinstance(schema, list):
        return [_plain(v) for v in schema]
    return schema


def documents(schema: Any, root: dict[str, Any], max_items: int = 4) -> st.SearchStrategy[Any]:
    """Values matching SCHEMA, a subschema of ROOT (lists get at most MAX_ITEMS items)."""
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return from_schema(schema)
    if schema.get(_IGNORED) is True:
        return JSON_VALUES
    if "properties" in schema:  # only the declared keys: other keys are tested on their own
        return _closed_object(schema, root, max_items)
    if schema.get("type") == "array" and "items" in schema:
        low = schema.get("minItems", 0)
        items = documents(schema["items"], root, max_items)
        return st.lists(items, min_size=low, max_size=max(low, max_items))
    if schema.get("type") == "object" and _ANNOTATIONS.issuperset(set(schema) - {"type"}):
        return st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4)  # any object
    if "anyOf" in schema and _ANNOTATIONS.issuperset(set(schema) - {"anyOf"}):
        return st.one_of([documents(branch, root, max_items) for branch in schema["anyOf"]])
    return from_schema(_plain(schema))


def _closed_object(
    schema: dict[str, Any], root: dict[str, Any], max_items: int
) -> st.SearchStrategy[Any]:
    properties = {
        name: documents(sub, root, max_items)
        for name, sub in schema["properties"].items()
        if not (isinstance(sub, dict) and sub.get(_UNSUPPORTED) is True)
    }
    required = set(schema.get("required", []))
    strategy = st.fixed_dictionaries(
        {name: s for name, s in properties.items() if name in required},
        optional={name: s for name, s in properties.items() if name not in required},
    )
    if "if" in schema:  # conditions between keys: keep the objects that meet them
        condition = {key: schema[key] for key in ("if", "then", "else") if key in schema}
        check = Draft202012Validator(_plain(condition)).is_valid
        strategy = strategy.filter(check)
    return strategy
