"""The run service with real runs on the `scripted` provider: start, replay, cancel, retention,
crashes. Nothing waits on time: tests wait for events (through subscriptions) or for the end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import pytest

from llm_orc.config.ensemble import Ensemble
from llm_orc.errors import InputError, LlmOrcError
from llm_orc.execution.events import AgentFinished, AgentStarted, RunEvent, event_to_dict
from llm_orc.execution.result import AgentResult, RunResult
from llm_orc.execution.scheduler import CANCELLED_BEFORE_START, EnsembleRun, EventSink
from llm_orc.execution.service import RunService, Subscription, UnknownRunError
from llm_orc.schemas import schema_validator
from support.ensembles import agent, ensemble, scripted_profiles

PROFILES = scripted_profiles(hang={"options": {"hang": True}})

TRIO = ensemble(agent("a"), agent("b"), agent("c", "a", "b"))
STUCK = ensemble(agent("quick"), agent("stuck", profile="hang"), agent("after", "stuck"))


def start(service: RunService, which: Ensemble = TRIO) -> str:
    return service.start(which, "the task", profiles=PROFILES).run_id


async def read_all(subscription: Subscription) -> list[RunEvent]:
    return [event async for event in subscription]


async def read_until(subscription: Subscription, type_: str, agent: str) -> list[RunEvent]:
    """Read SUBSCRIPTION up to and including the first TYPE_ event of AGENT."""
    seen: list[RunEvent] = []
    async for event in subscription:
        seen.append(event)
        if event.type == type_ and getattr(event, "agent", None) == agent:
            return seen
    raise AssertionError(f"the run ended without {type_} of {agent}")


def kinds(events: list[RunEvent]) -> list[tuple[str, str | None]]:
    return [(event.type, getattr(event, "agent", None)) for event in events]


def statuses(result: RunResult) -> dict[str, str]:
    return {a.name: a.status.value for a in result.agents}


def assert_contract(events: list[RunEvent], *, schemas: bool = True) -> None:
    """One ensemble_started first, one ensemble_finished last, seq 1, 2, 3 …, every document
    valid (unless not SCHEMAS), every agent final in the result."""
    assert [event.seq for event in events] == list(range(1, len(events) + 1))
    result = event_to_dict(events[-1])["result"]
    if schemas:
        for event in events:
            schema_validator("events").validate(event_to_dict(event))
        schema_validator("result").validate(result)
    assert {a["status"] for a in result["agents"]} <= {
        "succeeded",
        "failed",
        "skipped",
        "cancelled",
    }
    types_ = [event.type for event in events]
    assert types_[0] == "ensemble_started" and types_.count("ensemble_started") == 1
    assert types_[-1] == "ensemble_finished" and types_.count("ensemble_finished") == 1


# -- start, get, list -------------------------------------------------------------------------


async def test_start_returns_at_once_and_the_run_goes_on_as_a_task() -> None:
    service = RunService()
    run = service.start(TRIO, "the task", profiles=PROFILES)
    assert run.status == "running" and run.events() == []  # nothing ran yet
    assert run.document() == {"run_id": run.run_id, "status": "running"}
    result = await service.wait(run.run_id)
    assert result.status.value == "succeeded" and run.status == "succeeded"
    assert service.get(run.run_id) is run and service.runs() == [run]
    assert run.summary() == {
        "run_id": run.run_id,
        "ensemble": "test",
        "source": None,
        "status": "succeeded",
    }
    assert run.document() == result.to_document()
    assert_contract(run.events())


async def test_a_run_that_cannot_start_raises_and_is_not_recorded() -> None:
    service = RunService()
    with pytest.raises(InputError):
        service.start(TRIO, None, profiles=PROFILES)  # no input, no default_task
    assert service.runs() == []


async def test_an_unknown_run_is_a_clear_error() -> None:
    service = RunService(keep_finished=7)
    with pytest.raises(UnknownRunError, match=r"^no run .nope. \(.* last 7 finished runs .*\)$"):
        service.get("nope")
    with pytest.raises(UnknownRunError):
        service.subscribe("nope")


# -- subscribe and replay ---------------------------------------------------------------------


async def test_replay_from_zero_after_the_end_is_every_event_once_in_order() -> None:
    service = RunService()
    run_id = start(service)
    await service.wait(run_id)
    replayed = await read_all(service.subscribe(run_id))
    assert replayed == service.get(run_id).events()
    assert_contract(replayed)
    assert kinds(replayed)[:1] == [("ensemble_started", None)]


async def test_replay_from_the_middle_of_a_live_run_then_live_events_without_gaps() -> None:
    service = RunService()
    run_id = start(service, STUCK)
    live = service.subscribe(run_id)
    before = await read_until(live, "agent_started", "stuck")
    middle = before[len(before) // 2].seq
    late = service.subscribe(run_id, after_seq=middle)  # joins while the run goes on
    service.cancel(run_id)
    rest, late_events = await asyncio.gather(read_all(live), read_all(late))
    everything = before + rest
    assert_contract(everything)
    assert late_events == [event for event in everything if event.seq > middle]
    assert late_events[0].seq == middle + 1


async def test_replay_after_the_end_yields_nothing_and_ends() -> None:
    service = RunService()
    run_id = start(service)
    await service.wait(run_id)
    last = service.get(run_id).last_seq
    assert await read_all(service.subscribe(run_id, after_seq=last)) == []
    assert await read_all(service.subscribe(run_id, after_seq=last + 100)) == []
    assert await service.subscribe(run_id, after_seq=last).batch() == []


async def test_two_subscribers_each_get_every_event() -> None:
    service = RunService()
    run_id = start(service)
    first, second = service.subscribe(run_id), service.subscribe(run_id)
    one, two = await asyncio.gather(read_all(first), read_all(second))
    assert one == two == service.get(run_id).events()
    assert_contract(one)


async def test_a_subscriber_that_does_not_read_holds_up_neither_the_run_nor_others() -> None:
    service = RunService()
    run_id = start(service, ensemble(*(agent(f"a{i}") for i in range(20))))
    idle = service.subscribe(run_id)  # never read while the run goes
    reader = service.subscribe(run_id)
    events = await read_all(reader)
    await service.wait(run_id)  # ended without the idle one reading anything
    assert len(events) > 60
    assert await read_all(idle) == events  # and it still gets everything, once


async def test_batches_hand_over_what_is_there_and_end_after_the_last_event() -> None:
    service = RunService()
    run_id = start(service)
    await service.wait(run_id)
    subscription = service.subscribe(run_id, after_seq=2)
    batch = await subscription.batch()
    assert batch == service.get(run_id).events(after_seq=2)
    assert await subscription.batch() == []


# -- cancel -----------------------------------------------------------------------------------


async def test_cancel_before_the_run_starts_skips_every_agent_and_still_finishes() -> None:
    service = RunService()
    run_id = start(service, STUCK)
    service.cancel(run_id)  # the run's task has not run yet
    result = await service.wait(run_id)
    assert result.status.value == "cancelled"
    assert statuses(result) == {"quick": "skipped", "stuck": "skipped", "after": "skipped"}
    assert {a.error for a in result.agents} == {CANCELLED_BEFORE_START}
    events = service.get(run_id).events()
    assert_contract(events)
    assert kinds(events) == [
        ("ensemble_started", None),
        ("agent_skipped", "quick"),
        ("agent_skipped", "stuck"),
        ("agent_skipped", "after"),
        ("ensemble_finished", None),
    ]
    documents = [event_to_dict(event) for event in events]
    assert documents[0]["agents"] == ["quick", "stuck", "after"]
    assert documents[0]["depends_on"] == {"quick": [], "stuck": [], "after": ["stuck"]}
    assert documents[-1]["result"] == result.to_document()


async def test_cancel_mid_run_keeps_what_finished() -> None:
    service = RunService()
    run_id = start(service, STUCK)
    await read_until(service.subscribe(run_id), "agent_started", "stuck")
    service.cancel(run_id)
    service.cancel(run_id)  # twice changes nothing
    result = await service.wait(run_id)
    assert result.status.value == "cancelled"
    assert statuses(result) == {"quick": "succeeded", "stuck": "cancelled", "after": "skipped"}
    assert_contract(service.get(run_id).events())
    service.cancel(run_id)  # after the end: nothing happens
    assert service.get(run_id).result is result


async def test_shutdown_cancels_every_run_still_going() -> None:
    service = RunService()
    running = [start(service, STUCK) for _ in range(3)]
    await service.shutdown()
    assert [service.get(run_id).status for run_id in running] == ["cancelled"] * 3


# -- retention --------------------------------------------------------------------------------


async def test_the_oldest_finished_runs_are_forgotten_first_and_running_ones_never() -> None:
    service = RunService(keep_finished=2)
    stuck = start(service, STUCK)  # started first, finishes later
    early = start(service)
    await service.wait(early)
    await read_until(service.subscribe(stuck), "agent_started", "stuck")
    later = [start(service) for _ in range(3)]
    for run_id in later:
        await service.wait(run_id)
    # Finished so far, in order: early, later[0..2]; only the newest two are kept.
    assert [run.run_id for run in service.runs()] == [stuck, *later[1:]]
    with pytest.raises(UnknownRunError):
        service.get(early)
    service.cancel(stuck)
    await service.wait(stuck)  # now it is the newest finished: kept, later[1] goes
    assert [run.run_id for run in service.runs()] == [stuck, later[2]]


async def test_finished_runs_are_also_forgotten_beyond_an_event_budget() -> None:
    probe = RunService()
    run_id = start(probe)
    await probe.wait(run_id)
    size = len(probe.get(run_id).events())  # how many events one TRIO run has
    service = RunService(keep_events=2 * size + size // 2)
    finished = []
    for _ in range(3):
        finished.append(start(service))
        await service.wait(finished[-1])
    first, second, third = finished
    assert [run.run_id for run in service.runs()] == [second, third]
    with pytest.raises(UnknownRunError):
        service.get(first)


async def test_a_subscription_outlives_its_run_being_forgotten() -> None:
    service = RunService(keep_finished=0)
    run_id = start(service)
    subscription = service.subscribe(run_id)
    await service.wait(run_id)
    with pytest.raises(UnknownRunError):
        service.get(run_id)
    assert_contract(await read_all(subscription))


# -- crashes ----------------------------------------------------------------------------------


class BreaksAfterQuick:
    """A real engine on STUCK that breaks (raises out of `execute`) once `quick` has finished
    and `stuck` is generating: an engine bug in the middle of a run."""

    def __init__(self, emit: EventSink) -> None:
        self.detached = False
        self.started: set[str] = set()
        self.ready = asyncio.Event()

        def hook(event: RunEvent) -> None:
            if self.detached:
                return
            emit(event)
            if isinstance(event, AgentStarted | AgentFinished):
                self.started.add(f"{event.type}:{event.agent}")
            if {"agent_finished:quick", "agent_started:stuck"} <= self.started:
                self.ready.set()

        self.inner = EnsembleRun(STUCK, "the task", PROFILES, emit=hook)
        self.inner_task: asyncio.Task[RunResult] | None = None

    @property
    def run_id(self) -> str:
        return self.inner.run_id

    @property
    def ensemble(self) -> Ensemble:
        return self.inner.ensemble

    @property
    def task(self) -> str:
        return self.inner.task

    @property
    def results(self) -> Mapping[str, AgentResult]:
        return self.inner.results

    def cancel(self) -> None:
        self.inner.cancel()

    async def execute(self) -> RunResult:
        self.inner_task = asyncio.create_task(self.inner.execute())
        await self.ready.wait()
        self.detached = True
        self.inner_task.cancel()
        raise RuntimeError("boom")


async def test_an_engine_that_breaks_mid_run_still_ends_it_failed_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = RunService()
    engines: list[BreaksAfterQuick] = []

    def prepare(emit: EventSink) -> BreaksAfterQuick:
        engines.append(BreaksAfterQuick(emit))
        return engines[-1]

    with caplog.at_level(logging.ERROR, logger="llm_orc.execution.service"):
        run = service.launch(prepare)
        result = await service.wait(run.run_id)
    assert result.status.value == "failed" and run.status == "failed"
    assert run.error == "RuntimeError: boom"
    assert statuses(result) == {"quick": "succeeded", "stuck": "failed", "after": "skipped"}
    stuck = result.agent("stuck")
    assert stuck.error == "the run failed: RuntimeError: boom" and stuck.error_type == "internal"
    assert result.agent("quick").output == "quick: ok"
    events = run.events()
    assert_contract(events)
    assert kinds(events)[-3:] == [
        ("agent_failed", "stuck"),
        ("agent_skipped", "after"),
        ("ensemble_finished", None),
    ]
    assert any("boom" in str(record.exc_info) for record in caplog.records)
    [engine] = engines
    assert engine.inner_task is not None
    await asyncio.gather(engine.inner_task, return_exceptions=True)


class BreaksAtOnce:
    """An engine that raises before emitting anything."""

    def __init__(self, emit: EventSink) -> None:
        self.inner = EnsembleRun(TRIO, "the task", PROFILES, emit=emit)
        self.run_id, self.ensemble, self.task = self.inner.run_id, TRIO, "the task"
        self.results: Mapping[str, AgentResult] = self.inner.results

    def cancel(self) -> None:
        self.inner.cancel()

    async def execute(self) -> RunResult:
        raise ValueError("no")


class EndsWithoutResult(BreaksAtOnce):
    async def execute(self) -> RunResult:
        return None  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("engine", "error"),
    [
        (BreaksAtOnce, "ValueError: no"),
        (EndsWithoutResult, "the engine ended the run without a result"),
    ],
)
async def test_an_engine_that_breaks_before_its_first_event_gets_a_whole_ending(
    engine: Any, error: str
) -> None:
    service = RunService()
    run = service.launch(engine)
    result = await service.wait(run.run_id)
    assert result.status.value == "failed" and run.error == error
    assert statuses(result) == {"a": "skipped", "b": "skipped", "c": "skipped"}
    assert_contract(run.events())
    assert [event_to_dict(e)["type"] for e in run.events()] == [
        "ensemble_started",
        "agent_skipped",
        "agent_skipped",
        "agent_skipped",
        "ensemble_finished",
    ]


class BreaksAfterEveryAgentEnded(BreaksAtOnce):
    """A real engine that runs every agent to the end, then breaks before announcing its result:
    no agent is left to carry the failure, so only the run can say what happened."""

    def __init__(self, emit: EventSink) -> None:
        def hook(event: RunEvent) -> None:
            if event.type != "ensemble_finished":
                emit(event)

        self.inner = EnsembleRun(TRIO, "the task", PROFILES, emit=hook)
        self.run_id, self.ensemble, self.task = self.inner.run_id, TRIO, "the task"
        self.results = self.inner.results

    async def execute(self) -> RunResult:
        await self.inner.execute()
        raise RuntimeError("late")


async def test_an_engine_that_breaks_after_every_agent_ended_says_so_in_the_result() -> None:
    service = RunService()
    run = service.launch(BreaksAfterEveryAgentEnded)
    result = await service.wait(run.run_id)
    assert statuses(result) == {"a": "succeeded", "b": "succeeded", "c": "succeeded"}
    assert result.status.value == "failed" and result.error == "RuntimeError: late"
    assert_contract(run.events())
    document = event_to_dict(run.events()[-1])["result"]
    assert document["error"] == "RuntimeError: late"
    assert RunResult.from_document(document).to_document() == document


async def test_a_run_that_ends_normally_has_no_run_error() -> None:
    service = RunService()
    result = await service.wait(start(service))
    assert result.error is None and result.to_document()["error"] is None


async def test_a_duplicate_run_id_is_refused() -> None:
    service = RunService()
    first = service.launch(lambda emit: BreaksAtOnce(emit))
    with pytest.raises(LlmOrcError, match="already exists"):
        service.launch(lambda emit: _with_id(BreaksAtOnce(emit), first.run_id))
    await service.wait(first.run_id)


def _with_id(engine: BreaksAtOnce, run_id: str) -> BreaksAtOnce:
    engine.run_id = run_id
    return engine


# -- many at once -----------------------------------------------------------------------------


async def test_many_concurrent_runs_each_keep_their_own_events() -> None:
    service = RunService(keep_finished=1000)
    run_ids = [start(service, TRIO if i % 3 else STUCK) for i in range(120)]
    cancelled_early = run_ids[::7]
    for run_id in cancelled_early:
        service.cancel(run_id)  # some before they start
    streams = [asyncio.ensure_future(read_all(service.subscribe(run_id))) for run_id in run_ids]
    stuck = [run_id for i, run_id in enumerate(run_ids) if i % 3 == 0]
    for run_id in set(stuck) - set(cancelled_early):  # the others once they are under way
        await read_until(service.subscribe(run_id), "agent_started", "stuck")
        service.cancel(run_id)
    results = [await service.wait(run_id) for run_id in run_ids]
    outcomes = zip(run_ids, await asyncio.gather(*streams), results, strict=True)
    for i, (run_id, stream, result) in enumerate(outcomes):
        assert_contract(stream, schemas=i < 6)  # the schemas on a few: they take time
        assert {event.run_id for event in stream} == {run_id}
        assert stream[-1].result is result  # type: ignore[union-attr]
        expected = "cancelled" if run_id in cancelled_early or run_id in stuck else "succeeded"
        assert result.status.value == expected
