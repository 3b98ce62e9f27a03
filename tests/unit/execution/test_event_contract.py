"""Every event a run emits is a document of `schema/events.schema.json`, in the contract's order."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import ClassVar

import pytest

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.events import (
    AgentStarted,
    AgentTextDelta,
    EnsembleFinished,
    RunEvent,
    event_to_dict,
)
from llm_orc.execution.result import AgentStatus
from llm_orc.execution.runner import run, stream
from llm_orc.execution.scheduler import RunOptions
from llm_orc.providers.base import Generation, GenerationRequest, TextSink, TransientProviderError
from llm_orc.providers.registry import register_provider
from llm_orc.schemas import schema_validator
from support.ensembles import agent, ensemble, scripted_profiles

FINAL = {"succeeded", "failed", "skipped", "cancelled"}


def _profiles() -> dict[str, ModelProfile]:
    return scripted_profiles(
        broken={"options": {"error": "model exploded"}},
        flaky={"options": {"fail_attempts": 1, "chunks": 2}},
        hang={"options": {"hang": True}},
        backup={"options": {"reply": "from backup"}},
        capped={"options": {"latency_seconds": 0.001}, "max_concurrency": 1},
        js={"options": {"reply": '{"k": 1}'}},
    )


RUNS: dict[str, tuple[Ensemble, RunOptions]] = {
    "success": (
        ensemble(agent("a"), agent("b", "a"), agent("c", "a", profile="js", output_format="json")),
        RunOptions(),
    ),
    "failure and skip": (
        ensemble(agent("bad", profile="broken"), agent("after", "bad"), agent("ok")),
        RunOptions(),
    ),
    "retry": (
        ensemble(agent("a", profile="flaky", retries={"count": 1, "initial_delay_seconds": 0})),
        RunOptions(),
    ),
    "fallback": (
        ensemble(agent("a", profile="broken", fallback_model_profile="backup")),
        RunOptions(),
    ),
    "agent timeout": (
        ensemble(agent("stuck", profile="hang", timeout_seconds=0.01), agent("ok")),
        RunOptions(),
    ),
    "run timeout with a queued agent": (
        ensemble(
            agent("first", profile="hang"), agent("second", profile="hang"), agent("x", "first")
        ),
        RunOptions(timeout_seconds=0.05, max_concurrency=1),
    ),
    "profile cap queues": (
        ensemble(*(agent(f"a{i}", profile="capped") for i in range(3))),
        RunOptions(),
    ),
}


async def _events(ens: Ensemble, options: RunOptions) -> list[RunEvent]:
    return [event async for event in stream(ens, "the task", profiles=_profiles(), options=options)]


async def _cancelled_events() -> list[RunEvent]:
    """A run whose task is cancelled while an agent is generating."""
    events: list[RunEvent] = []
    ens = ensemble(agent("quick"), agent("stuck", "quick", profile="hang"), agent("never", "stuck"))
    task: asyncio.Task[object]

    def on_event(event: RunEvent) -> None:
        events.append(event)
        if getattr(event, "agent", None) == "stuck" and event.type == "agent_started":
            task.cancel()

    task = asyncio.create_task(run(ens, "go", profiles=_profiles(), on_event=on_event))
    with pytest.raises(asyncio.CancelledError):
        await task
    return events


def check_contract(events: list[RunEvent]) -> list[dict[str, object]]:
    """Assert the contract on one run's events; returns their documents."""
    validator = schema_validator("events")
    result_validator = schema_validator("result")
    documents = [event_to_dict(event) for event in events]
    for document in documents:
        json.dumps(document)
        validator.validate(document)
        datetime.fromisoformat(str(document["time"]))
    assert [d["seq"] for d in documents] == list(range(1, len(documents) + 1))
    assert len({d["run_id"] for d in documents}) == 1
    types = [d["type"] for d in documents]
    assert types[0] == "ensemble_started" and types.count("ensemble_started") == 1
    assert types[-1] == "ensemble_finished" and types.count("ensemble_finished") == 1
    ats = [float(str(d["at"])) for d in documents]
    assert ats == sorted(ats)
    result = documents[-1]["result"]
    assert isinstance(result, dict)
    result_validator.validate(result)
    assert {agent_doc["status"] for agent_doc in result["agents"]} <= FINAL
    return documents


@pytest.mark.parametrize("case", list(RUNS))
async def test_every_event_of_a_run_matches_the_schema_and_the_order(case: str) -> None:
    ens, options = RUNS[case]
    documents = check_contract(await _events(ens, options))
    started = documents[0]
    assert started["agents"] == [a.name for a in ens.agents]
    assert started["depends_on"] == {a.name: list(a.depends_on) for a in ens.agents}


async def test_the_runs_cover_every_kind_of_event() -> None:
    seen: set[object] = set()
    for ens, options in RUNS.values():
        seen |= {event_to_dict(e)["type"] for e in await _events(ens, options)}
    seen |= {event_to_dict(e)["type"] for e in await _cancelled_events()}
    assert seen == set(schema_validator("events").schema["properties"]["type"]["enum"])


async def test_a_cancelled_run_reports_the_running_agent_cancelled_not_failed() -> None:
    events = await _cancelled_events()
    documents = check_contract(events)
    by_type = {(d["type"], d.get("agent")) for d in documents}
    assert ("agent_cancelled", "stuck") in by_type
    assert ("agent_skipped", "never") in by_type
    assert not [d for d in documents if d["type"] == "agent_failed"]
    final = events[-1]
    assert isinstance(final, EnsembleFinished)
    assert final.result.agent("stuck").status is AgentStatus.CANCELLED


class HalfThenFail:
    """Streams a piece of text, then fails transiently, on every attempt but the last."""

    name: ClassVar[str] = "half-then-fail"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        on_text(f"try {request.attempt} ")
        if request.attempt < 2:
            raise TransientProviderError("dropped connection")
        on_text("done")
        return Generation(f"try {request.attempt} done", 1, 2, request.model)


async def test_text_deltas_say_which_attempt_they_belong_to() -> None:
    register_provider("half-then-fail", HalfThenFail())
    profiles = scripted_profiles()
    profiles["half"] = ModelProfile(name="half", model="m", provider="half-then-fail")
    ens = ensemble(agent("a", profile="half", retries={"count": 1, "initial_delay_seconds": 0}))
    events = [e async for e in stream(ens, "x", profiles=profiles)]
    check_contract(events)
    deltas = [(e.attempt, e.text) for e in events if isinstance(e, AgentTextDelta)]
    assert deltas == [(1, "try 1 "), (2, "try 2 "), (2, "done")]


async def test_a_fallback_counts_attempts_on_so_its_text_never_joins_the_failed_ones() -> None:
    register_provider("half-then-fail", HalfThenFail())
    profiles = scripted_profiles(backup={"options": {"reply": "from backup"}})
    profiles["half"] = ModelProfile(name="half", model="m", provider="half-then-fail")
    ens = ensemble(agent("a", profile="half", fallback_model_profile="backup"))
    events = [e async for e in stream(ens, "x", profiles=profiles)]
    check_contract(events)
    deltas = [(e.attempt, e.text) for e in events if isinstance(e, AgentTextDelta)]
    assert deltas == [(1, "try 1 "), (2, "from "), (2, "backup")]
    assert [e.attempt for e in events if isinstance(e, AgentStarted)] == [1, 2]
    final = events[-1]
    assert isinstance(final, EnsembleFinished) and final.result.agent("a").attempts == 2


async def test_a_queued_agent_is_reported_queued_with_what_it_waits_for() -> None:
    ens, options = RUNS["profile cap queues"]
    documents = check_contract(await _events(ens, options))
    queued = [d for d in documents if d["type"] == "agent_queued"]
    assert {d["agent"] for d in queued} == {"a1", "a2"}
    assert {d["waiting_for"] for d in queued} == {"a slot of profile 'capped' (1 at a time)"}
    for d in queued:  # queued before started, never the other way round
        types = [(e["type"], e.get("agent")) for e in documents]
        assert types.index(("agent_queued", d["agent"])) < types.index(
            ("agent_started", d["agent"])
        )
