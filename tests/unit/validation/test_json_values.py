"""Values must be representable in JSON: NaN and infinities are located errors."""

from __future__ import annotations

import pytest

from llm_orc.errors import InvalidEnsembleError
from llm_orc.execution.runner import prepare_run
from llm_orc.validation import validate_ensemble_text, validate_profiles_text
from llm_orc.validation.diagnostics import Diagnostic
from support.ensembles import agent, ensemble, scripted_profiles


def _found(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.range.start.line, d.range.start.column) for d in diagnostics]


def test_nan_and_infinities_in_an_ensemble_are_errors_on_their_values() -> None:
    text = (
        "name: n\n"
        "timeout_seconds: .inf\n"
        "agents:\n"
        "  - name: a\n"
        "    temperature: .nan\n"
        "    timeout_seconds: .NaN\n"
        "    options: {x: [1, -.inf], y: 1.5}\n"
    )
    report = validate_ensemble_text(text)
    assert _found([d for d in report.diagnostics if d.code == "not-json"]) == [
        ("not-json", 1, 17),
        ("not-json", 4, 17),
        ("not-json", 5, 21),
        ("not-json", 6, 21),
    ]
    assert not report.ok


def test_nan_in_a_profiles_file_is_an_error_and_aliases_are_walked_once() -> None:
    body = "{provider: local, model: m, temperature: .nan}"
    report = validate_profiles_text(f"model_profiles:\n  p: &p {body}\n  q: *p\n")
    [diagnostic] = report.diagnostics
    assert diagnostic.code == "not-json" and diagnostic.range.start.line in (1, 2)
    finite = body.replace(".nan", "0.5")
    assert validate_profiles_text(f"model_profiles:\n  p: {finite}\n").diagnostics == []


def test_a_document_without_nan_or_infinity_reads_as_finite() -> None:
    from llm_orc.validation.yaml_index import parse_yaml

    assert parse_yaml("a: 1.5\nb: [x, 2]\n").finite
    assert not parse_yaml("a: [1, -.inf]\n").finite
    assert not parse_yaml("a: !!set {x}\n").finite


def test_a_nan_in_an_ensemble_built_in_code_is_refused_before_it_runs() -> None:
    bad = ensemble(agent("a", options={"deep": [{"x": float("nan")}]}), agent("b", "a"))
    with pytest.raises(InvalidEnsembleError) as refused:
        prepare_run(bad, "task", profiles=scripted_profiles(), emit=lambda _: None, options=None)
    assert [d.code for d in refused.value.diagnostics] == ["not-json"]
    fine = ensemble(agent("a", options={"deep": [{"x": 1.5}]}), agent("b", "a"))
    prepare_run(fine, "task", profiles=scripted_profiles(), emit=lambda _: None, options=None)
