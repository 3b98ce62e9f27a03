"""The run service: runs as tasks on one event loop, their events kept for replay, one API for
every surface (the language server now, the HTTP API and the editor extension next).

```python
service = RunService()
run = service.start(ensemble, "Review this.", profiles=profiles)  # returns at once
async for event in service.subscribe(run.run_id):                  # replay, then live
    ...                                                            # ends after EnsembleFinished
result = await service.wait(run.run_id)
service.cancel(run.run_id)                                         # also before it started
```

A run's events are stored once, in its log, in `seq` order. **Subscriber policy**: a
subscription is a position in that log, so it buffers nothing of its own: a slow subscriber
only reads further behind (what it has not read yet waits in the shared log), never holds up
the run or another subscriber, and never loses an event; `subscribe(run_id, after_seq=N)`
yields every event with `seq > N` exactly once, in order, then the live ones, and ends after
`ensemble_finished`. The log lives as long as the run is retained: every running run, and the
newest finished ones — at most `keep_finished` runs and `keep_events` events between them (one
event is a few hundred bytes; a text piece is one event), the oldest finished forgotten first.

Every run ends with exactly one `ensemble_finished`. Cancelling is the engine's
(`EnsembleRun.cancel`): before the run started, it ends cancelled with every agent skipped.
When the engine itself breaks (an exception out of `execute`, or an end without a result), the
service logs it and ends the run with status `failed`: the agents still going fail with the
error, those that never ran are skipped, and `Run.error` holds it (`execution/run_endings.py`).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.errors import LlmOrcError
from llm_orc.execution.events import EnsembleFinished, RunEvent
from llm_orc.execution.result import AgentResult, RunResult, RunStatus
from llm_orc.execution.run_endings import crashed_ending
from llm_orc.execution.runner import prepare_run
from llm_orc.execution.scheduler import EventSink, RunOptions

logger = logging.getLogger(__name__)

KEEP_FINISHED = 50
"""How many finished runs a service keeps (their result and events), by default."""

KEEP_EVENTS = 200_000
"""How many events the finished runs a service keeps may hold between them, by default."""

RUNNING = "running"
"""The status of a run that has not ended yet."""


class UnknownRunError(LlmOrcError):
    """No run with this id is known (never started here, or forgotten since it finished)."""

    def __init__(self, run_id: str, keep_finished: int) -> None:
        self.run_id = run_id
        super().__init__(
            f"no run '{run_id}' (the results of at most the last {keep_finished} finished "
            "runs are kept)"
        )


class RunEngine(Protocol):
    """What the service drives: `EnsembleRun`, or anything that runs like it."""

    @property
    def run_id(self) -> str: ...

    @property
    def ensemble(self) -> Ensemble: ...

    @property
    def task(self) -> str: ...

    @property
    def results(self) -> Mapping[str, AgentResult]: ...

    async def execute(self) -> RunResult: ...

    def cancel(self) -> None:
        """Stop the run, keeping what finished (before it started: it ends when it starts)."""


PrepareEngine = Callable[[EventSink], RunEngine]
"""Sets up an engine given the hook its events go to; raises if the run cannot start."""


class Run:
    """One run of the service: what it is, how it stands, and its event log (read-only)."""

    def __init__(self, engine: RunEngine) -> None:
        self._engine = engine
        self._log: list[RunEvent] = []
        self._waiter: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._t0 = time.monotonic()
        self._cancel_requested = False
        self._dropped = 0
        self.result: RunResult | None = None
        """The result document's data, once the run has ended."""
        self.error: str | None = None
        """Set when the engine broke: what went wrong (the result then has status `failed`,
        or `cancelled` when the run was being cancelled)."""

    @property
    def run_id(self) -> str:
        return self._engine.run_id

    @property
    def ensemble(self) -> Ensemble:
        return self._engine.ensemble

    @property
    def finished(self) -> bool:
        """Whether the run has ended (its `ensemble_finished` is the last event of its log)."""
        return self.result is not None

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    @property
    def status(self) -> str:
        """`running`, else the result's status (`succeeded`, `partial`, `failed`, …)."""
        return RUNNING if self.result is None else self.result.status.value

    @property
    def last_seq(self) -> int:
        """The `seq` of the newest event (0 before the first)."""
        return self._log[-1].seq if self._log else 0

    def events(self, after_seq: int = 0) -> list[RunEvent]:
        """The events so far with `seq > after_seq`, in order."""
        return self._log[self._index_after(after_seq) :]

    def summary(self) -> dict[str, Any]:
        """`{run_id, ensemble, source, status}`: how a list of runs shows this one."""
        source = self.ensemble.source
        return {
            "run_id": self.run_id,
            "ensemble": self.ensemble.name,
            "source": str(source) if source else None,
            "status": self.status,
        }

    def document(self) -> dict[str, Any]:
        """The result document once the run has ended, else `{run_id, status: "running"}`."""
        if self.result is not None:
            return self.result.to_document()
        return {"run_id": self.run_id, "status": RUNNING}

    # -- the service's side -------------------------------------------------------------------

    def _index_after(self, after_seq: int) -> int:
        return bisect.bisect_right(self._log, after_seq, key=lambda event: event.seq)

    def _append(self, event: RunEvent) -> None:
        if self.result is not None:  # after the end (an engine bug): never after the last event
            self._dropped += 1
            if self._dropped == 1:
                logger.warning(
                    "run %s: the engine emitted %s after the run ended; dropped (and any later)",
                    self.run_id,
                    event.type,
                )
            return
        self._log.append(event)
        if isinstance(event, EnsembleFinished):
            self.result = event.result
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.set()

    async def _changed(self) -> None:
        """Until the next event is appended."""
        if self._waiter is None:
            self._waiter = asyncio.Event()
        await self._waiter.wait()

    def _seconds(self) -> float:
        """Seconds since the service launched the run, never before its newest event."""
        newest = self._log[-1].at if self._log else 0.0
        return max(newest, time.monotonic() - self._t0)


class Subscription:
    """A run's events from a sequence number on: `async for event in subscription`.

    It reads the run's one log (see the module docstring): the events with `seq > after_seq`
    that already happened, then each new one as it happens; it ends after `ensemble_finished`.
    """

    def __init__(self, run: Run, after_seq: int = 0) -> None:
        self.run = run
        self._next = run._index_after(after_seq)
        self._done = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> RunEvent:
        log = self.run._log
        while self._next >= len(log):
            if self._done or self.run.finished:
                raise StopAsyncIteration
            await self.run._changed()
        event = log[self._next]
        self._next += 1
        self._done = isinstance(event, EnsembleFinished)
        return event

    async def batch(self) -> list[RunEvent]:
        """Every event that is available now (waiting for one if none is); `[]` once the
        last event has been read. Lets a transport handle a burst in one go."""
        log = self.run._log
        while self._next >= len(log):
            if self._done or self.run.finished:
                return []
            await self.run._changed()
        events = log[self._next :]
        self._next = len(log)
        self._done = isinstance(events[-1], EnsembleFinished)
        return events


class RunService:
    """Starts, tracks, cancels and forgets runs; everything on the caller's event loop."""

    def __init__(
        self, *, keep_finished: int = KEEP_FINISHED, keep_events: int = KEEP_EVENTS
    ) -> None:
        if keep_finished < 0 or keep_events < 0:
            raise ValueError("keep_finished and keep_events must not be negative")
        self.keep_finished = keep_finished
        self.keep_events = keep_events
        self._runs: dict[str, Run] = {}
        self._finished: dict[str, int] = {}
        """Finished runs still kept (id → how many events), oldest finished first."""
        self._finished_events = 0

    # -- starting -----------------------------------------------------------------------------

    def start(
        self,
        ensemble: Ensemble,
        task: str | None = None,
        *,
        profiles: Mapping[str, ModelProfile] | None = None,
        options: RunOptions | None = None,
    ) -> Run:
        """Start ENSEMBLE on TASK (default: its `default_task`) and return at once; the run
        goes on as a task on the running event loop. Raises `LlmOrcError` (an input error,
        an invalid ensemble) when the run cannot start; nothing is recorded then."""
        return self.launch(
            lambda emit: prepare_run(ensemble, task, profiles=profiles, emit=emit, options=options)
        )

    def launch(self, prepare: PrepareEngine) -> Run:
        """Start the engine PREPARE sets up (given the hook its events go to): `start` for a
        custom engine. Raises what PREPARE raises."""
        loop = asyncio.get_running_loop()  # before anything is recorded: no loop, no run
        run: Run | None = None

        def emit(event: RunEvent) -> None:
            if run is None:
                raise LlmOrcError("an engine must not emit events while it is set up")
            run._append(event)

        run = Run(prepare(emit))
        if run.run_id in self._runs:
            raise LlmOrcError(f"a run with id '{run.run_id}' already exists")
        self._runs[run.run_id] = run
        run._task = loop.create_task(self._drive(run), name=f"llm-orc run {run.run_id}")
        return run

    # -- looking ------------------------------------------------------------------------------

    def get(self, run_id: str) -> Run:
        """The run RUN_ID; raises `UnknownRunError` when there is none (or it was forgotten)."""
        run = self._runs.get(run_id)
        if run is None:
            raise UnknownRunError(run_id, self.keep_finished)
        return run

    def runs(self) -> list[Run]:
        """Every run still known, oldest started first."""
        return list(self._runs.values())

    def subscribe(self, run_id: str, after_seq: int = 0) -> Subscription:
        """RUN_ID's events with `seq > after_seq`, then the live ones until the run ends."""
        return Subscription(self.get(run_id), after_seq)

    async def wait(self, run_id: str) -> RunResult:
        """Until RUN_ID has ended; its result."""
        run = self.get(run_id)
        if run._task is not None:
            await asyncio.wait([run._task])
        assert run.result is not None, "a driven run always ends with a result"
        return run.result

    # -- stopping -----------------------------------------------------------------------------

    def cancel(self, run_id: str) -> Run:
        """Cancel RUN_ID: finished agents are kept, the rest end cancelled or skipped; before
        it started, every agent is skipped. Returns at once (`wait` for the result); a second
        cancel, or one of a finished run, changes nothing."""
        run = self.get(run_id)
        if not run.finished and not run._cancel_requested:
            run._cancel_requested = True
            run._engine.cancel()
        return run

    async def shutdown(self) -> None:
        """Cancel every run still going and wait until each has ended."""
        running = [run for run in self._runs.values() if not run.finished]
        for run in running:
            self.cancel(run.run_id)
        tasks = [run._task for run in running if run._task is not None]
        if tasks:
            await asyncio.wait(tasks)

    # -- the run ------------------------------------------------------------------------------

    async def _drive(self, run: Run) -> None:
        try:
            await run._engine.execute()  # cancelled from outside (the loop closing), it re-raises
        except Exception as exc:  # an engine bug: report it, never leave a run "running"
            logger.exception("run %s: the engine failed", run.run_id)
            self._crashed(run, f"{type(exc).__name__}: {exc}")
        finally:
            if not run.finished:
                logger.error("run %s: the engine ended without announcing a result", run.run_id)
                self._crashed(run, "the engine ended the run without a result")
            self._finished[run.run_id] = len(run._log)
            self._finished_events += len(run._log)
            self._prune()

    def _crashed(self, run: Run, message: str) -> None:
        if run.finished:  # it announced its result, then broke: the result stands
            return
        run.error = message
        status = RunStatus.CANCELLED if run._cancel_requested else RunStatus.FAILED
        events, result = crashed_ending(run._engine, run.events(), message, status, run._seconds())
        for event in events:
            run._append(event)
        assert run.result is result

    def _prune(self) -> None:
        """Forget the oldest finished runs beyond `keep_finished` runs or `keep_events` events."""
        while self._finished and (
            len(self._finished) > self.keep_finished or self._finished_events > self.keep_events
        ):
            oldest = next(iter(self._finished))
            self._finished_events -= self._finished.pop(oldest)
            self._runs.pop(oldest, None)
