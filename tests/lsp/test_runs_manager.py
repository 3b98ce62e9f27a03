"""The run manager in process: the edge cases an editor cannot trigger on cue."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

from lsprotocol import types

from llm_orc.execution.scheduler import EnsembleRun
from llm_orc.lsp.features.run_manager import RUN_EVENT, RunManager
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
    def __init__(self) -> None:
        self.notified: list[tuple[str, dict[str, Any]]] = []
        self.changed = asyncio.Event()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.notified.append((method, params))
        self.changed.set()

    async def until(self, check: Any) -> None:
        async with asyncio.timeout(10):
            while not check():
                self.changed.clear()
                await self.changed.wait()


class FakeServer:
    """Just what RunManager uses of the language server."""

    client_supports_work_done_progress = True

    def __init__(self) -> None:
        self.work_done_progress = FakeProgress()
        self.protocol = FakeProtocol()
        self.shown: list[types.ShowMessageParams] = []
        self.tasks: list[asyncio.Task[Any]] = []

    def start_task(self, work: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self.tasks.append(task)
        return task

    def window_show_message(self, params: types.ShowMessageParams) -> None:
        self.shown.append(params)

    def events(self, run_id: str) -> list[dict[str, Any]]:
        return [p for method, p in self.protocol.notified if p["run_id"] == run_id]


PROFILES = scripted_profiles(
    hang={"options": {"hang": True}}, slow={"options": {"latency_seconds": 30}}
)


def prepare(*agents: Any) -> Any:
    def make(emit: Any) -> EnsembleRun:
        return EnsembleRun(ensemble(*agents), "the task", PROFILES, emit=emit)

    return make


async def test_a_cancel_before_the_run_starts_still_ends_it_cancelled_and_announced() -> None:
    server = FakeServer()
    server.work_done_progress.accept.clear()  # the client has not accepted the token yet
    runs = RunManager(server)  # type: ignore[arg-type]
    record = runs.start(prepare(agent("a", profile="slow"), agent("b", "a")))
    await asyncio.sleep(0)
    runs.cancel(record)
    server.work_done_progress.accept.set()
    await runs.wait(record)

    # The run starts (its first step launches `a`), then ends cancelled at once.
    assert record.result is not None and record.status == "cancelled"
    assert {a.name: a.status.value for a in record.result.agents} == {
        "a": "cancelled",
        "b": "skipped",
    }
    events = server.events(record.run_id)
    assert events[0]["type"] == "ensemble_started"
    assert events[-1]["type"] == "ensemble_finished"
    assert events[-1]["result"]["status"] == "cancelled"
    kinds = [type(value).__name__ for _, value in server.work_done_progress.sent]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    assert server.work_done_progress.sent[-1][1].message == "cancelled"
    assert server.work_done_progress.tokens == {}  # forgotten once ended


async def test_cancelling_the_progress_token_cancels_the_run() -> None:
    server = FakeServer()
    runs = RunManager(server)  # type: ignore[arg-type]
    record = runs.start(prepare(agent("quick"), agent("stuck", profile="hang")))
    await server.protocol.until(lambda: "stuck" in record.started)
    [future] = server.work_done_progress.tokens.values()
    future.cancel()  # what pygls does on window/workDoneProgress/cancel
    await runs.wait(record)
    assert record.result is not None
    assert {a.name: a.status.value for a in record.result.agents} == {
        "quick": "succeeded",
        "stuck": "cancelled",
    }


async def test_only_the_last_finished_runs_are_kept() -> None:
    server = FakeServer()
    runs = RunManager(server, keep_finished=2)  # type: ignore[arg-type]
    stuck = runs.start(prepare(agent("stuck", profile="hang")))
    finished = []
    for _ in range(3):
        record = runs.start(prepare(agent("a")))
        await runs.wait(record)
        finished.append(record.run_id)
    assert [r.run_id for r in runs.records()] == [stuck.run_id, *finished[1:]]
    assert runs.get(finished[0]) is None
    runs.cancel(stuck)
    await runs.wait(stuck)


async def test_without_client_progress_the_events_still_flow() -> None:
    server = FakeServer()
    server.client_supports_work_done_progress = False
    runs = RunManager(server)  # type: ignore[arg-type]
    record = runs.start(prepare(agent("a")))
    await runs.wait(record)
    assert server.work_done_progress.sent == []
    assert server.events(record.run_id)[-1]["type"] == "ensemble_finished"
    assert all(method == RUN_EVENT for method, _ in server.protocol.notified)


class CrashingRun:
    """An engine bug: `execute` raises."""

    run_id = "crash"
    ensemble = ensemble(agent("a"))

    def __init__(self, emit: Any) -> None:
        self.emit = emit

    async def execute(self) -> None:
        raise RuntimeError("boom")


async def test_a_crashed_run_is_reported_and_ends_its_progress() -> None:
    server = FakeServer()
    runs = RunManager(server)  # type: ignore[arg-type]
    record = runs.start(CrashingRun)  # type: ignore[arg-type]
    await runs.wait(record)
    assert record.document() == {
        "runId": "crash",
        "status": "failed",
        "error": "RuntimeError: boom",
    }
    assert server.work_done_progress.sent[-1][1].message == "failed: RuntimeError: boom"
    [shown] = server.shown
    assert shown.type == types.MessageType.Error and "boom" in shown.message
