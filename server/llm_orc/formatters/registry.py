"""The formatter registry: names to formatters, built-ins plus `llm_orc.formatters` entry points.

Formatter modules are imported only when one is used, so `llm-orc --help` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from typing import cast

from llm_orc.formatters.base import Formatter, FormatterContext, FormatterError

ENTRY_POINT_GROUP = "llm_orc.formatters"

FormatterFactory = Callable[[FormatterContext], Formatter]

BUILTIN: dict[str, str] = {
    "rich": "llm_orc.formatters.rich_live:RichFormatter",
    "text": "llm_orc.formatters.text:TextFormatter",
    "json": "llm_orc.formatters.json_document:JsonFormatter",
    "jsonl": "llm_orc.formatters.jsonl:JsonLinesFormatter",
    "markdown": "llm_orc.formatters.markdown:MarkdownFormatter",
    "template": "llm_orc.formatters.template:TemplateFormatter",
}


@cache
def _plugin_targets() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def formatter_names() -> list[str]:
    """Every output format that can be used here, sorted."""
    return sorted({*BUILTIN, *_plugin_targets()})


def check_formatter_name(name: str) -> str:
    """NAME if it is a known output format; else a FormatterError with "did you mean" and the
    list of formats."""
    if name in BUILTIN or name in _plugin_targets():
        return name
    from llm_orc.validation.wording import did_you_mean

    names = formatter_names()
    raise FormatterError(
        f"unknown output format '{name}'{did_you_mean(name, names)} (available: {', '.join(names)})"
    )


def get_formatter_factory(name: str) -> FormatterFactory:
    """The callable that builds formatter NAME (imported now)."""
    target = BUILTIN.get(check_formatter_name(name)) or _plugin_targets()[name]
    module_name, _, attr = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise FormatterError(
            f"output format '{name}' ({target}) could not be loaded: {type(exc).__name__}: {exc}"
        ) from None
    if not callable(factory):
        raise FormatterError(f"output format '{name}' ({target}) is not callable")
    return cast(FormatterFactory, factory)
