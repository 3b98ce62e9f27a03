"""Result documents: every one matches the schema, and `from_document` reads it back exactly."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_orc.errors import InvalidResultError
from llm_orc.execution.events import Usage
from llm_orc.execution.result import (
    AgentResult,
    AgentStatus,
    FallbackRecord,
    RunResult,
    RunStatus,
)
from llm_orc.execution.runner import run
from llm_orc.schemas import load_schema
from support.ensembles import agent, ensemble, scripted_profiles

VALIDATOR = jsonschema.Draft202012Validator(load_schema("result"))
CI_SETTINGS = settings(
    max_examples=200, derandomize=True, database=None, deadline=timedelta(seconds=2)
)

TEXT = st.text(max_size=12)
SECONDS = st.floats(min_value=0, max_value=1e5, allow_nan=False)
MAYBE_SECONDS = st.none() | SECONDS


@st.composite
def agent_results(draw: st.DrawFn, name: str) -> AgentResult:
    failed = draw(st.booleans())
    return AgentResult(
        name=name,
        status=draw(st.sampled_from(AgentStatus)),
        output=draw(st.none() | TEXT),
        parsed=draw(st.none() | st.dictionaries(TEXT, st.integers() | TEXT, max_size=2)),
        error=draw(TEXT) if failed else None,
        error_type=draw(st.none() | st.sampled_from(["provider", "timeout", "cancelled"]))
        if failed
        else None,
        model=draw(TEXT),
        provider=draw(TEXT),
        profile=draw(TEXT),
        attempts=draw(st.integers(0, 5)),
        fallback=draw(st.none() | st.builds(FallbackRecord, TEXT, TEXT, TEXT)),
        started_at=draw(MAYBE_SECONDS),
        finished_at=draw(MAYBE_SECONDS),
        usage=Usage(
            draw(st.integers(0, 10**6)),
            draw(st.integers(0, 10**6)),
            draw(st.floats(min_value=0, max_value=100, allow_nan=False)),
        ),
    )


@st.composite
def run_results(draw: st.DrawFn) -> RunResult:
    names = draw(st.lists(TEXT, max_size=4, unique=True))
    agents = [draw(agent_results(name)) for name in names]
    return RunResult(
        run_id=draw(TEXT.filter(bool)),
        ensemble=draw(TEXT),
        input=draw(st.text(max_size=40)),
        status=draw(st.sampled_from(RunStatus)),
        agents=agents,
        execution_order=draw(st.permutations(names)),
        final_agent=draw(st.none() | st.sampled_from(names)) if names else None,
        started_at="2026-12-01T21:00:00.000+00:00",
        duration_seconds=draw(SECONDS),
        source=draw(st.none() | TEXT),
    )


@CI_SETTINGS
@given(run_results())
def test_every_result_document_matches_the_schema(result: RunResult) -> None:
    VALIDATOR.validate(result.to_document())


@CI_SETTINGS
@given(run_results())
def test_a_document_read_back_gives_the_same_document(result: RunResult) -> None:
    document = result.to_document()
    stored = json.loads(json.dumps(document, allow_nan=False))
    assert RunResult.from_document(stored).to_document() == document


async def test_the_result_of_a_real_run_reads_back_the_same() -> None:
    profiles = scripted_profiles(broken={"options": {"fail_agents": ["b"]}})
    ens = ensemble(
        agent("a", options={"reply": "alpha"}),
        agent("b", "a", profile="broken"),
        agent("c", "a", on_dependency_failure="continue", options={"reply": "done"}),
    )
    result = await run(ens, "go", profiles=profiles)
    document = json.loads(json.dumps(result.to_document()))
    VALIDATOR.validate(document)
    again = RunResult.from_document(document)
    assert again.to_document() == document
    assert again.agent("b").status is AgentStatus.FAILED
    assert again.final_answer == result.final_answer


def sample_document() -> dict[str, Any]:
    result = RunResult(
        run_id="r1",
        ensemble="e",
        input="go",
        status=RunStatus.SUCCEEDED,
        agents=[
            AgentResult(
                name="a",
                status=AgentStatus.SUCCEEDED,
                output="hi",
                started_at=0.5,
                finished_at=1.5,
                usage=Usage(3, 4, 0.25),
            )
        ],
        execution_order=["a"],
        final_agent="a",
        started_at="2026-12-01T21:00:00.000+00:00",
        duration_seconds=1.5,
    )
    return result.to_document()


def broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(sample_document())
    change(document)
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "not a result document: the document: [] is not of type 'object'"),
        (broken(lambda d: d.pop("run_id")), "'run_id' is a required property"),
        (broken(lambda d: d.update(status="done")), "status: 'done' is not one of"),
        (broken(lambda d: d["agents"][0].update(attempts=-1)), "agents/0/attempts"),
        (broken(lambda d: d.update(schema_version=2)), "schema_version: 1 was expected"),
        (broken(lambda d: d["totals"].update(succeeded=0)), "totals does not match the agents"),
        (
            broken(lambda d: d["final_answer"].update(agent="ghost", output="hi")),
            "final_answer/agent: no agent named 'ghost'",
        ),
        (
            broken(lambda d: d["agents"][0].update(duration_seconds=9.0)),
            "agent 'a': duration_seconds does not match",
        ),
    ],
)
def test_a_bad_document_is_one_clear_line(document: Any, message: str) -> None:
    with pytest.raises(InvalidResultError) as caught:
        RunResult.from_document(document)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
