"""Parsing an `output_format: json` agent's reply; failing to parse is that agent's error."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"^```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL)


class JsonOutputError(ValueError):
    """The reply is not one JSON value."""


def parse_json_output(text: str, schema: dict[str, Any] | None = None) -> Any:
    """The JSON value in TEXT (one surrounding Markdown code fence allowed), checked against
    SCHEMA when there is one."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as exc:
        what = exc.msg.removesuffix(" at")  # e.g. "Invalid control character at"
        raise JsonOutputError(
            f"output is not valid JSON ({what} at line {exc.lineno} column {exc.colno})"
        ) from None
    if schema is not None:
        from jsonschema import Draft202012Validator

        error = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path) or "the top level"
            raise JsonOutputError(
                f"output does not match output_schema at {where}: {error.message}"
            )
    return value
