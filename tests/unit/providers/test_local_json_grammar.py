"""The local model's JSON grammars: a string can never hold a raw control character."""

from __future__ import annotations

import json

import pytest

from llm_orc.providers.base import ProviderError
from llm_orc.providers.local import strict_json_strings

grammar = pytest.importorskip("llama_cpp.llama_grammar")

TRIAGE = {
    "type": "object",
    "properties": {"summary": {"type": "string"}, "team": {"enum": ["web", "mobile"]}},
    "required": ["summary"],
}


def test_a_schema_grammar_excludes_control_characters_from_strings() -> None:
    loose = grammar.json_schema_to_gbnf(json.dumps(TRIAGE))
    strict = strict_json_strings(loose)
    [char] = [line for line in strict.splitlines() if line.startswith("char ::=")]
    assert char.startswith('char ::= [^"\\\\\\x7F\\x00-\\x1F] |')  # as llama.cpp's JSON_GBNF
    changed = [
        (a, b) for a, b in zip(loose.splitlines(), strict.splitlines(), strict=True) if a != b
    ]
    assert [b for _, b in changed] == [char]  # only the string rule changes
    grammar.LlamaGrammar.from_string(strict, verbose=False)  # llama.cpp accepts it


def test_an_unexpected_string_rule_is_an_error_not_a_silent_loose_grammar() -> None:
    with pytest.raises(ProviderError, match="unexpected string rule"):
        strict_json_strings('char ::= [^"]\nroot ::= "x"\n')
