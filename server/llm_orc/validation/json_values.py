"""Values an ensemble or profiles file holds must be representable in JSON: the result
document, the events and the language server all carry them as JSON, and JSON Schema cannot
reject a NaN (`.nan` compares unequal to every bound) or an infinity."""

from __future__ import annotations

import json
import math
from typing import Any

from llm_orc.validation.diagnostics import Diagnostic
from llm_orc.validation.yaml_index import Path, SourceMap


def non_json_diagnostics(data: Any, source: SourceMap) -> list[Diagnostic]:
    """not-json: every `.nan`, `.inf` or `-.inf`, on its value. Each container is visited once
    (YAML aliases share them, and may refer to themselves)."""
    if _plainly_json(data):
        return []
    out: list[Diagnostic] = []
    seen: set[int] = set()
    stack: list[tuple[Path, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            written = "NaN" if math.isnan(value) else "an infinity"
            text = f"{written} is not a number JSON can hold; write a finite number"
            out.append(Diagnostic("not-json", text, source.value_range(path)))
        elif isinstance(value, dict | list):
            if id(value) in seen:
                continue
            seen.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            # Only what can hold a non-finite float is visited (most values are strings).
            stack.extend(
                ((*path, key), item) for key, item in items if isinstance(item, dict | list | float)
            )
    return out


def _plainly_json(data: Any) -> bool:
    """True when the C JSON encoder takes DATA whole with NaN and infinities refused: then no
    value can be one, and the walk has nothing to find. Anything it refuses (a non-finite
    float, a cycle, a type JSON lacks, deep nesting) goes to the walk, which says where."""
    try:
        json.dumps(data, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return False
    return True
