"""JSON Schema validation: jsonschema's errors become one located diagnostic each.

`required` goes on the key of the object missing something, `additionalProperties` on each
extra key, type and value errors on the value. Subschemas marked `x-llm-orc-ignored` (accepted
from the public llm-orc format, ignored here) or `x-llm-orc-unsupported` (not run here) are
reported on their key, from the schema, so the lists of such keys live in one place.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from llm_orc.schemas import SchemaName, load_schema
from llm_orc.validation.diagnostics import Diagnostic, Range, Severity
from llm_orc.validation.schema_fastpath import (
    MARKERS,
    Check,
    FastSchema,
    assuming_valid,
    known_valid,
)
from llm_orc.validation.wording import (
    clause,
    did_you_mean,
    json_types,
    near_miss,
    quoted,
    show,
)
from llm_orc.validation.yaml_index import Path, SourceMap

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

_IGNORED, _UNSUPPORTED = MARKERS
_MAX_LISTED_KEYS = 10


@dataclass(frozen=True, slots=True)
class CompiledSchema:
    """One schema ready to use: the jsonschema validator, its fast checks, and `if` owners."""

    validator: Validator
    fast: FastSchema
    conditions: dict[int, dict[str, Any]]
    """id() of each `then`/`else` subschema -> the schema holding its `if`."""
    open_objects: dict[int, dict[str, Any]]
    """id() of each `additionalProperties` subschema -> the object schema it belongs to."""

    def iter_errors(self, data: Any) -> Iterator[ValidationError]:
        # jsonschema walks the document's top level; list items go through the compiled checks
        # first (see `items` below), so a valid 500-agent list costs what the checks cost.
        return self.validator.iter_errors(data)


def _marker(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    from jsonschema import ValidationError

    if value is True:
        yield ValidationError("marked by the schema")


@cache
def fast_schema(name: SchemaName) -> FastSchema:
    """The compiled checks of `schema/NAME.schema.json` (cached)."""
    return FastSchema(load_schema(name))


@cache
def _document_check(name: SchemaName) -> Check | None:
    """Whether a whole document is valid, without jsonschema (None: ask jsonschema)."""
    return fast_schema(name).check(load_schema(name))


@cache
def compiled_schema(name: SchemaName) -> CompiledSchema:
    """The cached validator for `schema/NAME.schema.json` (jsonschema is imported here, the
    first time a document is not valid: a valid one never needs it)."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    schema = load_schema(name)
    fast = fast_schema(name)
    plain_items = Draft202012Validator.VALIDATORS["items"]

    def items(
        validator: Any, items_schema: Any, instance: Any, parent: Any
    ) -> Iterator[ValidationError]:
        # Let jsonschema descend only into the items the compiled check does not pass.
        check = fast.check(items_schema)
        if check is None or "prefixItems" in parent or not isinstance(instance, list):
            yield from plain_items(validator, items_schema, instance, parent)
            return
        for index, item in enumerate(instance):
            if not known_valid(item) and not check(item):
                yield from validator.descend(item, items_schema, path=index)

    keywords = {"items": items, _IGNORED: _marker, _UNSUPPORTED: _marker}
    validator_class = extend(Draft202012Validator, keywords)  # type: ignore[no-untyped-call]
    conditions: dict[int, dict[str, Any]] = {}
    open_objects: dict[int, dict[str, Any]] = {}
    _collect_owners(schema, conditions, open_objects)
    return CompiledSchema(validator_class(schema), fast, conditions, open_objects)


def _collect_owners(
    schema: Any, conditions: dict[int, dict[str, Any]], open_objects: dict[int, dict[str, Any]]
) -> None:
    if isinstance(schema, dict):
        if "if" in schema:
            for branch in ("then", "else"):
                if branch in schema:
                    conditions[id(schema[branch])] = schema
        if isinstance(schema.get("additionalProperties"), dict):
            open_objects[id(schema["additionalProperties"])] = schema
        for value in schema.values():
            _collect_owners(value, conditions, open_objects)
    elif isinstance(schema, list):
        for value in schema:
            _collect_owners(value, conditions, open_objects)


def schema_diagnostics(
    name: SchemaName,
    data: Any,
    source: SourceMap,
    *,
    root_noun: str,
    item_nouns: Mapping[str, str],
    valid_items: Collection[int] = (),
) -> list[Diagnostic]:
    """Every schema violation in DATA, located through SOURCE.

    ROOT_NOUN names the document in messages ("the ensemble"); ITEM_NOUNS names the entries of
    a list or mapping by its key (`agents` -> "agent"). VALID_ITEMS: id() of list items known
    to pass their `items` schema (`item_check`), alive and unchanged: not checked again.
    """
    if valid_items:
        with assuming_valid(valid_items):
            return _schema_diagnostics(name, data, source, root_noun, item_nouns)
    return _schema_diagnostics(name, data, source, root_noun, item_nouns)


def item_check(name: SchemaName, key: str) -> Check | None:
    """The compiled check of the items of the top-level list KEY of schema NAME (None when it
    cannot be compiled)."""
    items = load_schema(name)["properties"][key]["items"]
    return fast_schema(name).check(items)


def _schema_diagnostics(
    name: SchemaName,
    data: Any,
    source: SourceMap,
    root_noun: str,
    item_nouns: Mapping[str, str],
) -> list[Diagnostic]:
    valid = _document_check(name)
    if valid is not None and valid(data):
        return []
    compiled = compiled_schema(name)
    converter = _Converter(
        data, source, compiled.conditions, compiled.open_objects, root_noun, item_nouns
    )
    out: list[Diagnostic] = []
    for error in compiled.iter_errors(data):
        out.extend(converter.convert(error))
    return out


@dataclass(frozen=True, slots=True)
class _Converter:
    data: Any
    source: SourceMap
    conditions: dict[int, dict[str, Any]]
    open_objects: dict[int, dict[str, Any]]
    root_noun: str
    item_nouns: Mapping[str, str]

    def convert(self, error: ValidationError) -> list[Diagnostic]:
        path: Path = tuple(error.absolute_path)
        kind = error.validator
        if kind == "required":
            return self._missing(error, path)
        if kind == "additionalProperties":
            return self._unknown(error, path)
        owner = self.open_objects.get(id(error.schema))
        if kind == _IGNORED and owner is not None and path:
            return self._other_key(error, path, owner)
        if kind in (_IGNORED, _UNSUPPORTED):
            return [self._marked(error, path)]
        if kind in ("anyOf", "oneOf"):
            return self._alternatives(error, path)
        if kind is None and path and isinstance(path[-1], str):  # a `false` subschema
            message = f"key '{path[-1]}' is not allowed here"
            return [Diagnostic("unknown-key", message, self.source.key_range(path))]
        if kind == "type":
            return [self._type(error, path)]
        return [self._value(error, path)]

    def subject(self, path: Path) -> str:
        """How messages name the value at PATH: `'temperature'`, `agent 'writer'`, ..."""
        if not path:
            return self.root_noun
        last = path[-1]
        parent = path[-2] if len(path) > 1 else None
        noun = self.item_nouns.get(parent) if isinstance(parent, str) else None
        if isinstance(last, str):
            return f"{noun} '{last}'" if noun else f"'{last}'"
        if noun:
            item = _lookup(self.data, path)
            name = item.get("name") if isinstance(item, dict) else None
            return f"{noun} '{name}'" if isinstance(name, str) and name else f"{noun} {last + 1}"
        return f"item {last + 1} of '{parent}'" if isinstance(parent, str) else f"item {last + 1}"

    def _missing(self, error: ValidationError, path: Path) -> list[Diagnostic]:
        instance = error.instance
        if not isinstance(instance, dict) or not isinstance(error.validator_value, list):
            return [self._value(error, path)]
        why = ""
        owner = self.conditions.get(id(error.schema))
        if owner is not None:
            why = f" ({_explain_condition(owner['if'])})"
        where = self._object_key(path)
        return [
            Diagnostic(
                "missing-key",
                f"{self.subject(path)} is missing required key '{key}'{why}",
                where,
            )
            for key in error.validator_value
            if key not in instance
        ]

    def _object_key(self, path: Path) -> Range:
        """Where to report something about the object at PATH as a whole: a key, not a block."""
        if not path:
            return self.source.first_key_range(path)
        if isinstance(path[-1], int):
            if self.source.has((*path, "name")):
                return self.source.key_range((*path, "name"))
            return self.source.first_key_range(path)
        return self.source.key_range(path)

    def _unknown(self, error: ValidationError, path: Path) -> list[Diagnostic]:
        instance = error.instance
        schema = error.schema if isinstance(error.schema, dict) else {}
        properties: dict[str, Any] = schema.get("properties", {})
        patterns = list(schema.get("patternProperties", {}))
        if not isinstance(instance, dict):
            return []
        allowed = [name for name, sub in properties.items() if not _is_marked(sub)]
        out = []
        for key in instance:
            if key in properties or any(re.search(p, str(key)) for p in patterns):
                continue
            hint = did_you_mean(str(key), allowed)
            if not hint and len(allowed) <= _MAX_LISTED_KEYS:
                hint = f"; expected one of: {', '.join(allowed)}"
            out.append(
                Diagnostic(
                    "unknown-key",
                    f"unknown key '{key}' in {self.subject(path)}{hint}",
                    self.source.key_range((*path, key if isinstance(key, str | int) else str(key))),
                )
            )
        return out

    def _other_key(
        self, error: ValidationError, path: Path, owner: dict[str, Any]
    ) -> list[Diagnostic]:
        """A key the object's schema does not name: a near miss of a known key is an error, any
        other key is ignored with a warning (as the public llm-orc ignores it)."""
        key = path[-1]
        if not isinstance(key, str):
            return []  # the parser reports keys that are not text
        properties: dict[str, Any] = owner.get("properties", {})
        known = [name for name, sub in properties.items() if not _is_marked(sub)]
        where = self.source.key_range(path)
        subject = self.subject(path[:-1])
        match = near_miss(key, known)
        if match is not None:
            message = f"unknown key '{key}' in {subject}; did you mean '{match}'?"
            return [Diagnostic("unknown-key", message, where)]
        schema = error.schema if isinstance(error.schema, dict) else {}
        if schema.get("x-llm-orc-quiet") is True:
            return []
        message = f"unknown key '{key}' in {subject} is ignored"
        return [Diagnostic("ignored-key", message, where, Severity.WARNING)]

    def _marked(self, error: ValidationError, path: Path) -> Diagnostic:
        key = path[-1] if path else ""
        schema = error.schema if isinstance(error.schema, dict) else {}
        description = clause(str(schema.get("description", "")))
        where = self.source.key_range(path)
        if error.validator == _IGNORED:
            text = f"'{key}' is {description}" if description else f"'{key}' is ignored here"
            return Diagnostic("ignored-key", text, where, Severity.WARNING)
        feature = re.sub(r":?\s*not supported here$", "", description)
        text = f"'{key}' is not supported by this llm-orc"
        if feature:
            text += f" ({feature})"
        return Diagnostic("unsupported-feature", text, where)

    def _alternatives(self, error: ValidationError, path: Path) -> list[Diagnostic]:
        """anyOf/oneOf: the errors of the one branch that fits the value's type, else one line."""
        if not error.context:  # oneOf matched more than one branch: nothing more specific to say
            return [self._value(error, path)]
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            index = sub.relative_schema_path[0] if sub.relative_schema_path else -1
            branches.setdefault(int(index), []).append(sub)
        fitting = [
            errors
            for _, errors in sorted(branches.items())
            if not any(_is_type_mismatch(sub) for sub in errors)
        ]
        if len(fitting) == 1:
            return [diagnostic for sub in fitting[0] for diagnostic in self.convert(sub)]
        options = error.validator_value if isinstance(error.validator_value, list) else []
        types = [name for name in map(_type_name, options) if name is not None]
        schema = error.schema if isinstance(error.schema, dict) else {}
        description = schema.get("description")
        if len(types) == len(options) and not fitting:
            text = f"{self.subject(path)} must be {json_types(types)}, not {show(error.instance)}"
            code = "invalid-type"
        else:
            text = f"{self.subject(path)} is not valid"
            code = "invalid-value"
        if isinstance(description, str) and description:
            # The last sentence of such a description says what shapes are accepted.
            text += f" — {clause(description.rstrip('. ').split('. ')[-1])}"
        return [Diagnostic(code, text, self.source.value_range(path))]

    def _type(self, error: ValidationError, path: Path) -> Diagnostic:
        types = error.validator_value
        names = [str(name) for name in types] if isinstance(types, list) else [str(types)]
        instance, subject, wanted = error.instance, self.subject(path), json_types(names)
        if instance is None:
            text = f"{subject} has no value; it must be {wanted}"
        else:
            text = f"{subject} must be {wanted}, not {show(instance)}"
        if "string" in names and instance is not None and not isinstance(instance, dict | list):
            written = self.source.scalar_text(path) or _as_text(instance)
            text += f' (quote it to make it text: "{written}")'
        return Diagnostic("invalid-type", text, self.source.value_range(path))

    def _value(self, error: ValidationError, path: Path) -> Diagnostic:
        subject, kind = self.subject(path), error.validator
        limit, instance = error.validator_value, error.instance
        if kind == "enum" and isinstance(limit, list):
            text = f"{subject} must be one of {quoted(limit)}, not {show(instance)}"
            if isinstance(instance, str):
                text += did_you_mean(instance, [str(item) for item in limit])
        elif kind == "const":
            text = f"{subject} must be {show(limit)}, not {show(instance)}"
        elif kind in _BOUND_WORDS:
            text = f"{subject} must be {_BOUND_WORDS[kind]} {limit}, not {show(instance)}"
        elif kind in ("minLength", "minItems") and limit == 1:
            text = f"{subject} must not be empty"
        elif kind in _SIZE_WORDS:
            text = f"{subject} must {_SIZE_WORDS[kind].format(limit=limit)}"
        else:
            text = f"{subject} is not valid: {error.message}"
        return Diagnostic("invalid-value", text, self.source.value_range(path))


_BOUND_WORDS = {
    "minimum": "at least",
    "maximum": "at most",
    "exclusiveMinimum": "greater than",
    "exclusiveMaximum": "less than",
}
_SIZE_WORDS = {
    "minLength": "be at least {limit} characters long",
    "maxLength": "be at most {limit} characters long",
    "minItems": "have at least {limit} items",
    "maxItems": "have at most {limit} items",
}


def _is_marked(schema: Any) -> bool:
    return isinstance(schema, dict) and any(schema.get(marker) is True for marker in MARKERS)


def _is_type_mismatch(error: ValidationError) -> bool:
    """An error saying a whole branch does not apply to the value (wrong type, `false`)."""
    return not error.relative_path and error.validator in ("type", None)


def _type_name(schema: Any) -> str | None:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return kind if isinstance(kind, str) else None


def _explain_condition(condition: Any) -> str:
    """Words for an `if` of the form {required: [...], not: {required: [...]}}."""
    given = condition.get("required", []) if isinstance(condition, dict) else []
    negated = condition.get("not", {}) if isinstance(condition, dict) else {}
    absent = negated.get("required", []) if isinstance(negated, dict) else []
    if not given:
        return "needed by the other keys given"
    text = "needed when " + " and ".join(f"'{key}'" for key in given)
    text += " is given" if len(given) == 1 else " are given"
    if absent:
        text += " without " + " or ".join(f"'{key}'" for key in absent)
    return text


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _lookup(data: Any, path: Path) -> Any:
    for step in path:
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            return None
    return data
