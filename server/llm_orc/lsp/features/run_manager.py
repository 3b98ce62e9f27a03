"""Runs started from the editor: server-owned background tasks, their progress and event stream.

Each run is an engine `EnsembleRun` driven by one tracked task. Every engine event goes to the
client as an `llm-orc/runEvent` notification (the event document: `event_to_dict(event)`); work-done
progress (a fresh token per run) shows how many agents are done, and cancelling it cancels the
run. Finished results stay retrievable by run id, for the last `KEEP_FINISHED` runs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from llm_orc.execution.events import (
    AgentCancelled,
    AgentFailed,
    AgentFinished,
    AgentSkipped,
    AgentStarted,
    EnsembleFinished,
    RunEvent,
    event_to_dict,
)
from llm_orc.execution.result import RunResult

if TYPE_CHECKING:
    from collections.abc import Callable

    from llm_orc.execution.scheduler import EnsembleRun, EventSink
    from llm_orc.lsp.server import LlmOrcLanguageServer

    PrepareRun = Callable[[EventSink], EnsembleRun]
    """Sets up a run given the hook its events go to; raises if the run cannot start."""

logger = logging.getLogger(__name__)

RUN_EVENT = "llm-orc/runEvent"
"""The custom notification that carries every engine event of a run."""

KEEP_FINISHED = 50
"""How many finished runs keep their result retrievable."""

PROGRESS_CREATE_SECONDS = 10.0
"""How long to wait for the client to accept a progress token before running without one."""

RUNNING = "running"


@dataclass
class RunRecord:
    """One run started from the editor, while it goes and after it ended."""

    run: EnsembleRun
    task: asyncio.Task[None] | None = None
    token: str | None = None
    """The work-done progress token, once the client accepted it."""
    executing: bool = False
    cancel_requested: bool = False
    started: set[str] = field(default_factory=set)
    ended: set[str] = field(default_factory=set)
    result: RunResult | None = None
    error: str | None = None
    """Set when the run crashed (an engine bug): it has no result document."""

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def finished(self) -> bool:
        return self.result is not None or self.error is not None

    @property
    def status(self) -> str:
        if self.result is not None:
            return self.result.status.value
        return "failed" if self.error is not None else RUNNING

    def summary(self) -> dict[str, Any]:
        """What `llm-orc.listRuns` shows of this run."""
        source = self.run.ensemble.source
        return {
            "runId": self.run_id,
            "ensemble": self.run.ensemble.name,
            "source": str(source) if source else None,
            "status": self.status,
        }

    def document(self) -> dict[str, Any]:
        """The result document when the run has ended, else `{runId, status: "running"}`."""
        if self.result is not None:
            return self.result.to_document()
        status: dict[str, Any] = {"runId": self.run_id, "status": self.status}
        if self.error is not None:
            status["error"] = self.error
        return status


class RunManager:
    """Starts, tracks and cancels the runs of one language server."""

    def __init__(self, server: LlmOrcLanguageServer, keep_finished: int = KEEP_FINISHED) -> None:
        self.server = server
        self.keep_finished = keep_finished
        self._records: dict[str, RunRecord] = {}

    # -- the commands' side -------------------------------------------------------------------

    def start(self, prepare: PrepareRun) -> RunRecord:
        """Set up a run with PREPARE (given the event hook; it raises if the run cannot start)
        and start it in the background. Returns at once."""
        record: RunRecord

        def emit(event: RunEvent) -> None:
            self._on_event(record, event)

        record = RunRecord(run=prepare(emit))
        self._records[record.run_id] = record
        record.task = self.server.start_task(self._drive(record), f"run {record.run_id}")
        return record

    def get(self, run_id: str) -> RunRecord | None:
        return self._records.get(run_id)

    def records(self) -> list[RunRecord]:
        """Every run still known, oldest first."""
        return list(self._records.values())

    def cancel(self, record: RunRecord) -> None:
        """Cancel the run: finished agents are kept, the rest are cancelled or skipped."""
        if record.finished or record.cancel_requested:
            return  # cancelling twice could interrupt the engine while it winds the run down
        record.cancel_requested = True  # before the run starts: honoured as soon as it does
        if record.executing and record.task is not None:
            record.task.cancel()

    async def wait(self, record: RunRecord) -> None:
        """Until the run has ended (its result is recorded by then)."""
        if record.task is not None:
            await asyncio.wait([record.task])

    # -- the run ------------------------------------------------------------------------------

    async def _drive(self, record: RunRecord) -> None:
        await self._open_progress(record)
        record.executing = True
        task = asyncio.current_task()
        if record.cancel_requested and task is not None:
            task.cancel()  # delivered at the run's first wait: it starts, then ends cancelled
        try:
            await record.run.execute()
        except asyncio.CancelledError:
            # The engine kept what finished and announced the result; the run is over.
            if task is not None:
                task.uncancel()
        except Exception as exc:  # an engine bug: report it, never lose the run silently
            logger.exception("run %s failed", record.run_id)
            self._crashed(record, f"{type(exc).__name__}: {exc}")
        finally:
            self._forget_progress(record)
            self._prune()

    def _on_event(self, record: RunRecord, event: RunEvent) -> None:
        try:
            if isinstance(event, AgentStarted):
                record.started.add(event.agent)
                self._report(record)
            elif isinstance(event, AgentFinished | AgentFailed | AgentCancelled | AgentSkipped):
                record.ended.add(event.agent)
                self._report(record)
            elif isinstance(event, EnsembleFinished):
                # Result first, then progress end, then the event: a client that sees the final
                # event can already ask for the result and finds the progress ended.
                record.result = event.result
                self._end_progress(record, event.result.status.value)
            self.server.protocol.notify(RUN_EVENT, event_to_dict(event))
        except Exception:  # a rendering problem must never break the run
            logger.exception("publishing an event of run %s failed", record.run_id)

    def _crashed(self, record: RunRecord, message: str) -> None:
        record.error = message
        self._end_progress(record, f"failed: {message}")
        self.server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Error,
                message=f"llm-orc: the run of '{record.run.ensemble.name}' failed: {message}",
            )
        )

    def _prune(self) -> None:
        finished = [run_id for run_id, r in self._records.items() if r.finished]
        for run_id in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._records[run_id]

    # -- progress -----------------------------------------------------------------------------

    async def _open_progress(self, record: RunRecord) -> None:
        """Create a fresh progress token (when the client can show progress) and begin it."""
        if not self.server.client_supports_work_done_progress:
            return
        token = str(uuid.uuid4())
        progress = self.server.work_done_progress
        try:
            await asyncio.wait_for(progress.create_async(token), PROGRESS_CREATE_SECONDS)
        except Exception:
            logger.warning("the client did not accept progress for run %s", record.run_id)
            return
        record.token = token
        total = len(record.run.ensemble.agents)
        progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title=f"llm-orc: {record.run.ensemble.name}",
                cancellable=True,
                message=f"0/{total} agents",
                percentage=0,
            ),
        )
        future = progress.tokens.get(token)
        if future is not None:
            loop = asyncio.get_running_loop()

            def cancelled_by_client(done: concurrent.futures.Future[Any]) -> None:
                if done.cancelled():
                    loop.call_soon_threadsafe(self.cancel, record)

            future.add_done_callback(cancelled_by_client)

    def _report(self, record: RunRecord) -> None:
        if record.token is None:
            return
        total = len(record.run.ensemble.agents)
        done = len(record.ended)
        writing = [name for name in record.started if name not in record.ended]
        message = f"{done}/{total} agents"
        if writing:
            message += f" · {', '.join(sorted(writing))} writing"
        self.server.work_done_progress.report(
            record.token,
            types.WorkDoneProgressReport(
                message=message, percentage=done * 100 // total if total else 100
            ),
        )

    def _end_progress(self, record: RunRecord, message: str) -> None:
        if record.token is None:
            return
        self.server.work_done_progress.end(record.token, types.WorkDoneProgressEnd(message=message))
        self._forget_progress(record)

    def _forget_progress(self, record: RunRecord) -> None:
        """pygls keeps every token forever: drop ours once the run's progress has ended."""
        if record.token is not None:
            self.server.work_done_progress.tokens.pop(record.token, None)
            record.token = None
