"""Output format names: built-ins, plugins, and unknown names with a suggestion."""

from __future__ import annotations

import pytest

from llm_orc.formatters.base import FormatterError
from llm_orc.formatters.registry import (
    check_formatter_name,
    formatter_names,
    get_formatter_factory,
)

BUILTIN = ["json", "jsonl", "markdown", "rich", "template", "text"]


def test_every_builtin_format_loads() -> None:
    assert set(BUILTIN) <= set(formatter_names())
    for name in BUILTIN:
        assert callable(get_formatter_factory(name))


def test_an_unknown_name_gets_did_you_mean_and_the_list() -> None:
    with pytest.raises(FormatterError) as caught:
        check_formatter_name("markdwn")
    message = str(caught.value)
    assert message.startswith("unknown output format 'markdwn'; did you mean 'markdown'? ")
    assert "(available: json, jsonl, markdown, rich, template, text" in message


def test_a_far_name_gets_only_the_list() -> None:
    with pytest.raises(FormatterError) as caught:
        check_formatter_name("xyzzy")
    assert "did you mean" not in str(caught.value)
    assert "available: json" in str(caught.value)
