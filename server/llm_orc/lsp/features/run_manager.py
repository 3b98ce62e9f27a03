"""The language server's side of runs: transport only, over the run service.

For each run started from the editor, one forwarding task reads the run's events from the
service (`RunService.subscribe`) and sends each as an `llm-orc/runEvent` notification (the event
document, `event_to_dict(event)`), text deltas coalesced (`execution/delta_coalescer.py`); it
also reports work-done progress (a fresh token per run: agents finished as the percentage;
cancelling it cancels the run). Starting, cancelling, results and retention are the service's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from llm_orc.execution.delta_coalescer import (
    COALESCE_SECONDS,
    CallLater,
    DeltaCoalescer,
    loop_call_later,
)
from llm_orc.execution.events import (
    AgentCancelled,
    AgentFailed,
    AgentFinished,
    AgentQueued,
    AgentSkipped,
    AgentStarted,
    EnsembleFinished,
    RunEvent,
    event_to_dict,
)
from llm_orc.execution.service import Run, RunService, Subscription, UnknownRunError

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer

logger = logging.getLogger(__name__)

RUN_EVENT = "llm-orc/runEvent"
"""The custom notification that carries every engine event of a run."""

PROGRESS_CREATE_SECONDS = 10.0
"""How long to wait for the client to accept a progress token before going on without one."""

_ENDED = (AgentFinished, AgentFailed, AgentSkipped, AgentCancelled)


class _Progress:
    """One run's work-done progress: its token (once accepted) and the agents counted so far."""

    def __init__(self, total: int) -> None:
        self.token: str | None = None
        self.total = total
        self.queued: set[str] = set()
        self.started: set[str] = set()
        self.ended: set[str] = set()

    def report(self) -> types.WorkDoneProgressReport:
        done = len(self.ended)
        writing = sorted(self.started - self.ended)
        queued = sorted(self.queued - self.started - self.ended)
        message = f"{done}/{self.total} agents"
        if writing:
            message += f" · {', '.join(writing)} writing"
        if queued:
            message += f" · {', '.join(queued)} queued"
        percentage = done * 100 // self.total if self.total else 100
        return types.WorkDoneProgressReport(message=message, percentage=percentage)


class RunTransport:
    """Forwards the runs started from the editor to the client: notifications and progress."""

    def __init__(
        self,
        server: LlmOrcLanguageServer,
        service: RunService,
        *,
        interval: float = COALESCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        call_later: CallLater = loop_call_later,
    ) -> None:
        self.server = server
        self.service = service
        self.interval = interval
        """Coalescing: the time between two timed sends of one agent's merged text."""
        self._clock = clock
        self._call_later = call_later
        self._forwarding: set[asyncio.Task[None]] = set()

    def follow(self, run: Run) -> asyncio.Task[None]:
        """Start forwarding RUN (just started on the service) to the client."""
        subscription = self.service.subscribe(run.run_id)  # from its first event, held now
        task = self.server.start_task(self._forward(run, subscription), f"run {run.run_id}")
        self._forwarding.add(task)
        task.add_done_callback(self._forwarding.discard)
        return task

    async def drain(self) -> None:
        """Until every run followed so far has been forwarded to its end."""
        if self._forwarding:
            await asyncio.wait(set(self._forwarding))

    def coalescer(self, send: Callable[[dict[str, Any]], None]) -> DeltaCoalescer:
        """A coalescer for one stream of this transport's event documents."""
        return DeltaCoalescer(
            send, interval=self.interval, clock=self._clock, call_later=self._call_later
        )

    async def _forward(self, run: Run, subscription: Subscription) -> None:
        progress = _Progress(len(run.ensemble.agents))
        await self._open_progress(run, progress)  # the run goes on meanwhile; events wait
        coalescer = self.coalescer(self._notify)
        try:
            while events := await subscription.batch():
                for event in events:
                    self._on_event(run, progress, event)
                    coalescer.push(event_to_dict(event))
        except Exception:  # a rendering problem must never go unnoticed; the run goes on
            logger.exception("forwarding the events of run %s failed", run.run_id)
        finally:
            coalescer.close()
            self._end_progress(progress, run.status)

    def _notify(self, document: dict[str, Any]) -> None:
        self.server.protocol.notify(RUN_EVENT, document)

    def _on_event(self, run: Run, progress: _Progress, event: RunEvent) -> None:
        if isinstance(event, AgentQueued):
            progress.queued.add(event.agent)
            self._report(progress)
        elif isinstance(event, AgentStarted):
            progress.started.add(event.agent)
            self._report(progress)
        elif isinstance(event, _ENDED):
            progress.ended.add(event.agent)
            self._report(progress)
        elif isinstance(event, EnsembleFinished):
            # Progress ends before the last event: a client that sees it finds progress over.
            message = event.result.status.value
            if run.error is not None:
                message = f"failed: {run.error}"
                self.server.window_show_message(
                    types.ShowMessageParams(
                        type=types.MessageType.Error,
                        message=f"llm-orc: the run of '{run.ensemble.name}' failed: {run.error}",
                    )
                )
            self._end_progress(progress, message)

    # -- progress -----------------------------------------------------------------------------

    async def _open_progress(self, run: Run, progress: _Progress) -> None:
        """Create a fresh progress token (when the client can show progress) and begin it."""
        if not self.server.client_supports_work_done_progress:
            return
        token = str(uuid.uuid4())
        work = self.server.work_done_progress
        try:
            await asyncio.wait_for(work.create_async(token), PROGRESS_CREATE_SECONDS)
        except Exception:
            logger.warning("the client did not accept progress for run %s", run.run_id)
            return
        progress.token = token
        work.begin(
            token,
            types.WorkDoneProgressBegin(
                title=f"llm-orc: {run.ensemble.name}",
                cancellable=True,
                message=f"0/{progress.total} agents",
                percentage=0,
            ),
        )
        future = work.tokens.get(token)
        if future is not None:
            loop = asyncio.get_running_loop()

            def cancelled_by_client(done: concurrent.futures.Future[Any]) -> None:
                if done.cancelled():
                    loop.call_soon_threadsafe(self._cancel, run.run_id)

            future.add_done_callback(cancelled_by_client)

    def _cancel(self, run_id: str) -> None:
        try:
            self.service.cancel(run_id)
        except UnknownRunError:
            logger.info("progress of run %s cancelled after the run was forgotten", run_id)

    def _report(self, progress: _Progress) -> None:
        if progress.token is not None:
            self.server.work_done_progress.report(progress.token, progress.report())

    def _end_progress(self, progress: _Progress, message: str) -> None:
        """End the progress (once) and forget its token: pygls keeps every token forever."""
        token, progress.token = progress.token, None
        if token is None:
            return
        self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        self.server.work_done_progress.tokens.pop(token, None)
