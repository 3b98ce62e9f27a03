"""Ensembles built in code are strict; ensembles read from documents keep what they know."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from llm_orc.config.ensemble import Agent, Ensemble, RetryPolicy
from llm_orc.errors import InvalidFieldError, LlmOrcError


def error_of(build: Any) -> InvalidFieldError:
    with pytest.raises(InvalidFieldError) as caught:
        build()
    return caught.value


def test_an_unknown_agent_field_names_the_field_and_the_near_miss() -> None:
    error = error_of(lambda: Agent(name="a", dependson=["b"]))  # type: ignore[call-arg]
    assert str(error) == "agent 'a': unknown field 'dependson' (did you mean 'depends_on'?)"
    assert isinstance(error, ValueError) and isinstance(error, LlmOrcError)


def test_an_unknown_field_with_no_near_miss_gets_no_suggestion() -> None:
    error = error_of(lambda: Ensemble(name="e", agents=(Agent(name="a"),), zzz=1))  # type: ignore[call-arg]
    assert str(error) == "ensemble 'e': unknown field 'zzz'"


def test_unknown_fields_of_agents_given_as_mappings_are_reported_once() -> None:
    error = error_of(lambda: Ensemble(name="e", agents=[{"name": "x", "temprature": 1}]))
    assert error.problems == ["agent 'x': unknown field 'temprature' (did you mean 'temperature'?)"]


def test_retry_policies_are_strict_too() -> None:
    error = error_of(lambda: RetryPolicy(count=1, max_delay=3))  # type: ignore[call-arg]
    assert str(error) == "retries: unknown field 'max_delay' (did you mean 'max_delay_seconds'?)"


def test_a_bad_value_is_one_line_naming_the_field_without_a_url() -> None:
    error = error_of(lambda: Agent(name="a", max_tokens=0))
    assert str(error) == "agent 'a': 'max_tokens': input should be greater than or equal to 1"
    assert "\n" not in str(error) and "http" not in str(error)


def test_several_problems_are_all_kept_and_counted_in_the_message() -> None:
    error = error_of(lambda: Agent(name="", temperature=5, retries=11))
    assert len(error.problems) == 3
    assert str(error).endswith("(and 2 more)")


def test_a_retry_count_may_be_written_as_a_whole_float() -> None:
    assert Agent(name="a", retries=2.0).retries == RetryPolicy(count=2)  # type: ignore[arg-type]
    assert "fractional" in str(error_of(lambda: Agent(name="a", retries=2.5)))  # type: ignore[arg-type]
    assert error_of(lambda: Agent(name="a", retries=True))  # type: ignore[arg-type]


DOCUMENT: dict[str, Any] = {
    "name": "e",
    "task": "Go.",
    "max_concurrency": 3.0,
    "validation": {"ignored": True},
    "topaz_skill": "project metadata",
    "agents": [
        {"name": "a", "retries": 2.0, "max_tokens": 5.0, "ollama_format": "json", "serves": 1},
        {"name": "b", "depends_on": [{"agent_name": "a"}], "retries": {"count": 1.0}},
    ],
}


def test_from_document_drops_keys_without_a_field_and_reads_the_public_forms() -> None:
    ensemble = Ensemble.from_document(DOCUMENT, source=Path("e.yaml"))
    assert ensemble == Ensemble(
        name="e",
        default_task="Go.",
        max_concurrency=3,
        agents=(
            Agent(name="a", retries=RetryPolicy(count=2), max_tokens=5),
            Agent(name="b", depends_on=("a",), retries=RetryPolicy(count=1)),
        ),
        source=Path("e.yaml"),
    )


def test_default_task_wins_over_the_task_alias() -> None:
    ensemble = Ensemble.from_document({**DOCUMENT, "default_task": "Mine."})
    assert ensemble.default_task == "Mine."


def test_a_document_value_the_model_cannot_hold_is_a_one_line_error_with_the_file() -> None:
    document = {"name": "e", "agents": [{"name": "a", "temperature": math.nan}]}
    error = error_of(lambda: Ensemble.from_document(document, source=Path("e.yaml")))
    assert str(error) == (
        "e.yaml: agent 'a': 'temperature': input should be less than or equal to 2"
    )


def test_to_document_then_from_document_gives_the_same_ensemble() -> None:
    ensemble = Ensemble.from_document(DOCUMENT)
    assert Ensemble.from_document(ensemble.to_document()) == ensemble


def test_a_file_with_whole_floats_for_integers_loads_through_the_workspace(tmp_path: Path) -> None:
    from llm_orc.config.workspace import Workspace

    path = tmp_path / "e.yaml"
    path.write_text(
        "name: e\nmax_concurrency: 2.0\nagents:\n"
        "  - name: a\n    retries: 2.0\n    max_tokens: 8.0\n",
        encoding="utf-8",
    )
    workspace = Workspace.discover(tmp_path, env={"HOME": str(tmp_path)})
    loaded = workspace.load_ensemble_file(path)
    assert loaded.max_concurrency == 2
    assert loaded.agent("a").retries == RetryPolicy(count=2)
    assert loaded.agent("a").max_tokens == 8


def test_long_form_dependencies_are_names_and_a_condition_is_not_dropped_silently() -> None:
    long_form: Any = [{"agent_name": "a"}]
    assert Agent(name="b", depends_on=long_form).depends_on == ("a",)
    conditional: Any = [{"agent_name": "a", "condition": "x"}]
    assert "'depends_on.0'" in str(error_of(lambda: Agent(name="b", depends_on=conditional)))


def test_models_compare_by_value_and_an_equal_retry_policy_is_left_out_of_the_document() -> None:
    shared, copy = Agent(name="a"), Agent(name="a", retries=RetryPolicy(count=0))
    assert shared.retries is not copy.retries
    assert shared == copy and shared == shared
    assert shared != Agent(name="a", retries=RetryPolicy(count=1))
    assert RetryPolicy() == RetryPolicy(count=0) and hash(RetryPolicy()) == hash(RetryPolicy())
    ensemble = Ensemble(name="e", agents=(shared, copy, Agent(name="b", retries=2)))
    assert [doc.get("retries") for doc in ensemble.to_document()["agents"]] == [
        None,
        None,
        {"count": 2, "initial_delay_seconds": 1.0, "max_delay_seconds": 30.0},
    ]
