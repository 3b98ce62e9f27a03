"""Parsing an `output_format: json` agent's reply; failing to parse is that agent's error."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"^```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL)


class JsonOutputError(ValueError):
    """The reply is not one JSON value."""


def parse_json_output(text: str) -> Any:
    """The JSON value in TEXT, allowing one surrounding Markdown code fence."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise JsonOutputError(
            f"output is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
