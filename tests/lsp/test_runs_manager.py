"""The language server's run transport in process, over a real run service: progress, the
notifications and their coalescing, with an injected clock and timer (nothing waits on time)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

from lsprotocol import types

from llm_orc.execution.result import RunResult
from llm_orc.execution.scheduler import EnsembleRun, EventSink
from llm_orc.execution.service import Run, RunService
from llm_orc.lsp.features.run_manager import RUN_EVENT, RunTransport
from support.ensembles import agent, ensemble, scripted_profiles


class FakeProgress:
    """pygls's work-done progress helper; `create_async` waits until `accept` is set."""

    def __init__(self) -> None:
        self.tokens: dict[str, concurrent.futures.Future[Any]] = {}
        self.sent: list[tuple[str, Any]] = []
        self.accept = asyncio.Event()
        self.accept.set()

    async def create_async(self, token: str) -> None:
        await self.accept.wait()
        self.tokens[token] = concurrent.futures.Future()

    def begin(self, token: str, value: Any) -> None:
        self.sent.append((token, value))

    report = end = begin


class FakeProtocol:
    def __init__(self, progress: FakeProgress) -> None:
        self.progress = progress
        self.notified: list[tuple[str, dict[str, Any]]] = []
        self.progress_seen: list[int] = []
        """How many progress values had been sent at each notification."""

        self.changed = asyncio.Event()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.notified.append((method, params))
        self.progress_seen.append(len(self.progress.sent))
        self.changed.set()

    async def until(self, check: Callable[[], bool]) -> None:
        """Until CHECK holds, re-checked on every notification."""
        async with asyncio.timeout(10):
            while not check():
                self.changed.clear()
                await self.changed.wait()


class FakeServer:
    """Just what RunTransport uses of the language server."""

    client_supports_work_done_progress = True

    def __init__(self) -> None:
        self.work_done_progress = FakeProgress()
        self.protocol = FakeProtocol(self.work_done_progress)
        self.shown: list[types.ShowMessageParams] = []

    def start_task(self, work: Any, name: str) -> asyncio.Task[Any]:
        return asyncio.get_running_loop().create_task(work, name=name)

    def window_show_message(self, params: types.ShowMessageParams) -> None:
        self.shown.append(params)

    def events(self) -> list[dict[str, Any]]:
        return [params for method, params in self.protocol.notified if method == RUN_EVENT]


class Frozen:
    """A clock that never moves and a timer that never fires: only events flush deltas."""

    def __call__(self) -> float:
        return 0.0

    def call_later(self, delay: float, callback: Callable[[], None]) -> Frozen:
        return self

    def cancel(self) -> None:
        return None


PROFILES = scripted_profiles(
    hang={"options": {"hang": True}},
    single={"options": {"hang": True}, "max_concurrency": 1},
    wordy={"options": {"reply": "one two three four five six seven eight nine ten"}},
)


def transport(server: FakeServer, service: RunService) -> RunTransport:
    frozen = Frozen()
    return RunTransport(server, service, clock=frozen, call_later=frozen.call_later)  # type: ignore[arg-type]


async def test_events_wait_for_the_progress_to_begin_while_the_run_goes_on() -> None:
    server, service = FakeServer(), RunService()
    server.work_done_progress.accept.clear()  # the client has not accepted the token yet
    forwarding = transport(server, service)
    run = service.start(ensemble(agent("a"), agent("b", "a")), "the task", profiles=PROFILES)
    follow = forwarding.follow(run)
    await service.wait(run.run_id)  # the run did not wait for the client
    assert server.events() == []
    server.work_done_progress.accept.set()
    await follow
    events = server.events()
    assert [e["seq"] for e in events] == sorted({e["seq"] for e in events})
    assert events[0]["type"] == "ensemble_started" and events[-1]["type"] == "ensemble_finished"
    assert server.protocol.progress_seen[0] == 1  # begun before the first event
    values = [value for _, value in server.work_done_progress.sent]
    assert isinstance(values[0], types.WorkDoneProgressBegin)
    assert isinstance(values[-1], types.WorkDoneProgressEnd) and values[-1].message == "succeeded"
    assert server.protocol.progress_seen[-1] == len(values)  # ended before the last event
    assert server.work_done_progress.tokens == {}  # forgotten once ended


async def test_cancelling_the_progress_token_cancels_the_run() -> None:
    server, service = FakeServer(), RunService()
    forwarding = transport(server, service)
    run = service.start(
        ensemble(agent("quick"), agent("stuck", profile="hang")), "the task", profiles=PROFILES
    )
    follow = forwarding.follow(run)
    await server.protocol.until(
        lambda: any(e["type"] == "agent_started" and e["agent"] == "stuck" for e in server.events())
    )
    [future] = server.work_done_progress.tokens.values()
    future.cancel()  # what pygls does on window/workDoneProgress/cancel
    result = await service.wait(run.run_id)
    await follow
    assert {a.name: a.status.value for a in result.agents} == {
        "quick": "succeeded",
        "stuck": "cancelled",
    }
    assert server.work_done_progress.sent[-1][1].message == "cancelled"


async def test_without_client_progress_the_events_still_flow() -> None:
    server, service = FakeServer(), RunService()
    server.client_supports_work_done_progress = False
    run = service.start(ensemble(agent("a")), "the task", profiles=PROFILES)
    await transport(server, service).follow(run)
    assert server.work_done_progress.sent == []
    assert server.events()[-1]["type"] == "ensemble_finished"
    assert server.events()[-1]["result"] == run.document()


async def test_deltas_are_coalesced_first_at_once_then_merged_until_the_next_event() -> None:
    server, service = FakeServer(), RunService()
    run = service.start(
        ensemble(agent("w", profile="wordy"), agent("v", "w", profile="wordy")),
        "the task",
        profiles=PROFILES,
    )
    await transport(server, service).follow(run)
    events = server.events()
    all_events = run.events()
    assert len([e for e in all_events if e.type == "agent_text_delta"]) == 20  # one per word
    for name in ("w", "v"):
        mine = [e for e in events if e.get("agent") == name]
        deltas = [e for e in mine if e["type"] == "agent_text_delta"]
        assert [d["text"] for d in deltas] == [
            "one ",
            "two three four five six seven eight nine ten",
        ]
        assert mine[-1]["type"] == "agent_finished"
        assert "".join(d["text"] for d in deltas) == mine[-1]["output"]
        last_piece = [e for e in all_events if e.type == "agent_text_delta" and e.agent == name][-1]
        assert deltas[-1]["seq"] == last_piece.seq and deltas[-1]["time"] == last_piece.time
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    non_deltas = [e.seq for e in all_events if e.type != "agent_text_delta"]
    assert set(non_deltas) <= set(seqs)  # only deltas are ever merged away


class Crashing:
    """An engine bug: `execute` raises once the run is under way."""

    def __init__(self, emit: EventSink) -> None:
        self.inner = EnsembleRun(ensemble(agent("a")), "the task", PROFILES, emit=emit)
        self.run_id, self.ensemble, self.task = self.inner.run_id, self.inner.ensemble, "t"
        self.results = self.inner.results

    def cancel(self) -> None:
        self.inner.cancel()

    async def execute(self) -> RunResult:
        raise RuntimeError("boom")


async def test_a_crashed_run_is_reported_and_ends_its_progress() -> None:
    server, service = FakeServer(), RunService()
    run: Run = service.launch(Crashing)
    await transport(server, service).follow(run)
    assert run.document()["status"] == "failed"
    assert server.work_done_progress.sent[-1][1].message == "failed: RuntimeError: boom"
    [shown] = server.shown
    assert shown.type == types.MessageType.Error and "boom" in shown.message
    last = server.events()[-1]
    assert last["type"] == "ensemble_finished" and last["result"]["status"] == "failed"


async def test_progress_shows_which_agents_write_and_which_wait_for_a_slot() -> None:
    server, service = FakeServer(), RunService()
    run = service.start(
        ensemble(agent("first", profile="single"), agent("second", profile="single")),
        "the task",
        profiles=PROFILES,
    )
    follow = transport(server, service).follow(run)
    await server.protocol.until(lambda: any(e["type"] == "agent_queued" for e in server.events()))
    messages = [value.message for _, value in server.work_done_progress.sent]
    assert messages[-1] == "0/2 agents · first writing · second queued"
    service.cancel(run.run_id)
    await follow
    assert server.work_done_progress.sent[-1][1].message == "cancelled"
