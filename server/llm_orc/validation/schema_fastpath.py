"""A compiled yes/no check for the subset of JSON Schema our schemas use.

jsonschema spends most of its time building a validator per keyword and instance; a 500-agent
ensemble takes tens of milliseconds. The checks compiled here answer "valid?" in a few, so
jsonschema only runs where something is wrong, and still words every error. A check answers
exactly as the extended jsonschema validator would (the `x-llm-orc-*` markers fail, so that
jsonschema reports them); a schema using any keyword not handled here compiles to None, which
means "always ask jsonschema".
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Check = Callable[[Any], bool]

_KNOWN_VALID: ContextVar[Collection[int]] = ContextVar("known_valid", default=())
"""id() of list items known to pass their list's `items` schema (see `assuming_valid`)."""


@contextmanager
def assuming_valid(items: Collection[int]) -> Iterator[None]:
    """Within it, every `items` check passes the list items whose id() is in ITEMS without
    checking them again (they passed that check before and are unchanged: the caller keeps
    them alive, so no other object has their id)."""
    token = _KNOWN_VALID.set(items)
    try:
        yield
    finally:
        _KNOWN_VALID.reset(token)


def known_valid(item: Any) -> bool:
    """Whether ITEM is one of the items `assuming_valid` was given."""
    return id(item) in _KNOWN_VALID.get()


MARKERS = ("x-llm-orc-ignored", "x-llm-orc-unsupported")
_OBJECT = frozenset({"properties", "additionalProperties", "required"})
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$defs",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",  # an annotation unless a format checker is given, as jsonschema does
        "then",  # handled with "if"
        "else",
        "x-llm-orc-quiet",  # read by the error wording only
    }
)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


class FastSchema:
    """Compiled checks for the subschemas of one root schema, memoised by subschema identity."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._compiled: dict[int, Check | None] = {}

    def check(self, schema: Any) -> Check | None:
        """The check for SCHEMA (a subschema of the root), or None when it cannot be compiled."""
        key = id(schema)
        if key not in self._compiled:
            self._compiled[key] = None  # a recursive $ref stays None: jsonschema handles it
            self._compiled[key] = self._compile(schema)
        return self._compiled[key]

    def _compile(self, schema: Any) -> Check | None:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict) or ("$id" in schema and schema is not self._root):
            return None
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword in _OBJECT or keyword == "$id":
                continue
            compiled = self._keyword(keyword, value, schema)
            if compiled is None:
                return None
            checks.append(compiled)
        if not _OBJECT.isdisjoint(schema):
            members = self._object(schema)
            if members is None:
                return None
            checks.append(members)
        return _all(checks)

    def _keyword(self, keyword: str, value: Any, schema: dict[str, Any]) -> Check | None:
        if keyword in MARKERS:
            return _never if value is True else _always
        if keyword == "type":
            return _type_check(value)
        if keyword in ("enum", "const"):
            allowed = value if keyword == "enum" else [value]
            if not all(isinstance(item, str) for item in allowed):
                return None
            strings = frozenset(allowed)
            return lambda v: isinstance(v, str) and v in strings
        if keyword in _BOUNDS:
            return _bound_check(keyword, value)
        if keyword == "items":
            return None if "prefixItems" in schema else self._items(value)
        if keyword in ("anyOf", "allOf", "oneOf", "not", "if"):
            return self._combinator(keyword, value, schema)
        if keyword == "$ref":
            return self._ref(value)
        return None

    def _object(self, schema: dict[str, Any]) -> Check | None:
        """properties, additionalProperties and required in one pass over the instance."""
        if "patternProperties" in schema:
            return None
        members: dict[str, Check] = {}
        for name, subschema in schema.get("properties", {}).items():
            check = self.check(subschema)
            if check is None:
                return None
            members[name] = check
        other = self.check(schema.get("additionalProperties", True))
        if other is None:
            return None
        required = tuple(schema.get("required", ()))

        def check_object(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for name, item in value.items():
                if not members.get(name, other)(item):
                    return False
            return all(name in value for name in required)

        return check_object

    def _items(self, items: Any) -> Check | None:
        check = self.check(items)
        if check is None:
            return None

        def check_items(value: Any) -> bool:
            if not isinstance(value, list):
                return True
            known = _KNOWN_VALID.get()
            if not known:
                return all(map(check, value))
            return all(id(item) in known or check(item) for item in value)

        return check_items

    def _combinator(self, keyword: str, value: Any, schema: dict[str, Any]) -> Check | None:
        if keyword == "not":
            inner = self.check(value)
            return None if inner is None else (lambda v: not inner(v))
        if keyword == "if":
            condition = self.check(value)
            then = self.check(schema.get("then", True))
            otherwise = self.check(schema.get("else", True))
            if condition is None or then is None or otherwise is None:
                return None
            return lambda v: then(v) if condition(v) else otherwise(v)
        branches = [self.check(subschema) for subschema in value]
        if any(branch is None for branch in branches):
            return None
        checks = [branch for branch in branches if branch is not None]
        if keyword == "allOf":
            return _all(checks)
        if keyword == "anyOf":

            def check_any(value: Any) -> bool:
                for check in checks:  # noqa: SIM110 (a loop beats any(<genexpr>) here)
                    if check(value):
                        return True
                return False

            return check_any
        return lambda v: sum(1 for check in checks if check(v)) == 1

    def _ref(self, ref: Any) -> Check | None:
        if not isinstance(ref, str) or not ref.startswith("#"):
            return None
        target: Any = self._root
        for part in ref[1:].split("/")[1:] if ref != "#" else []:
            step = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or step not in target:
                return None
            target = target[step]
        resolved = self.check(target)
        if resolved is None:
            return None
        return resolved


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)

    def check_all(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 (a loop beats all(<genexpr>) on this hot path)
            if not check(value):
                return False
        return True

    return check_all


def _type_check(value: Any) -> Check | None:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(name in _TYPES for name in names):
        return None
    tests = [_TYPES[name] for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(test(v) for test in tests)


_BOUNDS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
    }
)


def _bound_check(keyword: str, limit: Any) -> Check | None:
    if not _is_number(limit):
        return None
    if keyword == "minimum":
        return lambda v: not _is_number(v) or v >= limit
    if keyword == "maximum":
        return lambda v: not _is_number(v) or v <= limit
    if keyword == "exclusiveMinimum":
        return lambda v: not _is_number(v) or v > limit
    if keyword == "exclusiveMaximum":
        return lambda v: not _is_number(v) or v < limit
    if keyword == "minLength":
        return lambda v: not isinstance(v, str) or len(v) >= limit
    if keyword == "maxLength":
        return lambda v: not isinstance(v, str) or len(v) <= limit
    if keyword == "minItems":
        return lambda v: not isinstance(v, list) or len(v) >= limit
    return lambda v: not isinstance(v, list) or len(v) <= limit
