"""The ready-queue scheduler: each agent starts the moment its own dependencies have finished.

There are no phase barriers: a slow agent holds back only the agents that need its result.
Concurrency is capped per run, and per provider and per profile across every run of the process
(`limits.py`); an agent waiting for a slot is queued, not started, and its timeout starts when it
holds its slots. Each attempt has its own timeout, transient errors are retried with backoff, a
failing agent can fall back to another profile, and one agent's failure never takes its
siblings down.

Every run ends with exactly one `EnsembleFinished`, whose result gives every agent a final
status, whatever happens on the way: an `on_event` hook that raises is isolated (its first
failure is logged with its traceback, once per run, and it keeps receiving events); a
cancellation that arrives while the run is already stopping is honoured after the result is
announced; an agent that does not stop within `stop_grace_seconds` of being cancelled is
reported cancelled and left behind; a provider that raises `CancelledError` or its own
`TimeoutError` fails (or retries) its agent only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypedDict

from llm_orc.config.ensemble import Agent, Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.agent_settings import AgentSettings, SettingsError, resolve_settings
from llm_orc.execution.budget import (
    BUDGET,
    AttemptCost,
    BudgetMeter,
    BudgetRecord,
    check_max_cost,
    stop_reason,
)
from llm_orc.execution.events import (
    NO_USAGE,
    AgentCancelled,
    AgentFailed,
    AgentFallback,
    AgentFinished,
    AgentQueued,
    AgentRetrying,
    AgentSkipped,
    AgentStarted,
    AgentTextDelta,
    EnsembleFinished,
    EnsembleStarted,
    RunEvent,
    Usage,
)
from llm_orc.execution.graph import DependencyGraph, graph_of
from llm_orc.execution.json_output import JsonOutputError, parse_json_output
from llm_orc.execution.limits import Slot, holding, shared_limits
from llm_orc.execution.prompting import DependencyOutcome, build_prompt, build_system_prompt
from llm_orc.execution.result import (
    AgentResult,
    AgentStatus,
    FallbackRecord,
    RunResult,
    RunStatus,
)
from llm_orc.execution.retry import backoff_delay
from llm_orc.pricing.table import load_table, table_loaded
from llm_orc.providers.base import (
    Generation,
    GenerationRequest,
    Provider,
    ProviderError,
    RateLimitedError,
    TokenUsage,
    estimate_tokens,
    tokens_for_chars,
)
from llm_orc.providers.registry import get_provider

logger = logging.getLogger(__name__)

EventSink = Callable[[RunEvent], None]
ProviderLookup = Callable[[str], Provider]

STOP_GRACE_SECONDS = 5.0
"""How long a stopping run waits for its cancelled agents before it gives up on them."""

CANCELLED = "the run was cancelled"
CANCELLED_BEFORE_START = "the run was cancelled before it started"

_STOPPABLE = (AgentStatus.RUNNING, AgentStatus.QUEUED)
_NO_OUTCOMES: Mapping[str, DependencyOutcome] = MappingProxyType({})
_UNFINISHED = (*_STOPPABLE, AgentStatus.PENDING)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Per-run overrides of the ensemble's own limits; refused at construction when they
    cannot be honoured."""

    max_concurrency: int | None = None
    """At most this many agents of the run generating at once (None: the ensemble's own)."""
    timeout_seconds: float | None = None
    """The whole run's timeout (None: the ensemble's own)."""
    run_id: str | None = None
    max_cost: float | None = None
    """The run's budget in USD (None: the ensemble's own `max_cost`)."""

    def __post_init__(self) -> None:
        check_max_concurrency(self.max_concurrency, "max_concurrency")
        check_timeout(self.timeout_seconds, "timeout_seconds")
        check_max_cost(self.max_cost, "max_cost")
        if self.run_id is not None and (not isinstance(self.run_id, str) or not self.run_id):
            raise ValueError(f"run_id must be a non-empty string, not {self.run_id!r}")


def check_max_concurrency(value: object, name: str) -> None:
    """Refuse anything but None or a positive integer, with one line naming NAME."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive integer or None, not {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer or None, not {value!r}")


def check_timeout(value: object, name: str) -> None:
    """Refuse anything but None or a finite positive number of seconds."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a positive number of seconds or None, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds or None, not {value!r}")


class _Header(TypedDict):
    run_id: str
    seq: int
    at: float
    time: str


class _AttemptFailed(Exception):
    """All attempts on one profile failed; carries the last error for the result."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class _AgentTimedOut(Exception):
    """The agent's own timeout expired during an attempt."""


class _IdleTimedOut(Exception):
    """No text came within the profile's idle timeout (before the first text or between two)."""


class _BudgetReached(Exception):
    """The run's spent cost reached its `max_cost`: it stops."""

    def __init__(self, record: BudgetRecord) -> None:
        super().__init__(stop_reason(record))
        self.record = record


class EnsembleRun:
    """One run of an ensemble. `execute()` runs it, publishing events to `emit`; `cancel()`
    stops it (also before it started)."""

    def __init__(
        self,
        ensemble: Ensemble,
        task: str,
        profiles: Mapping[str, ModelProfile],
        *,
        emit: EventSink,
        options: RunOptions | None = None,
        providers: ProviderLookup = get_provider,
        rng: random.Random | None = None,
        stop_grace_seconds: float = STOP_GRACE_SECONDS,
    ) -> None:
        self.ensemble = ensemble
        self.task = task
        self.profiles = profiles
        self.options = options or RunOptions()
        self.run_id = self.options.run_id or uuid.uuid4().hex
        self.stop_grace_seconds = stop_grace_seconds
        self._emit = emit
        self._providers = providers
        self._provider_of: dict[str, Provider] = {}
        """The providers the run's agents use, each looked up once per run."""
        self._rng = rng or random.Random()
        self._graph: DependencyGraph = graph_of(
            [a.name for a in ensemble.agents], {a.name: a.depends_on for a in ensemble.agents}
        )
        self._agents = {agent.name: agent for agent in ensemble.agents}
        self.results = {agent.name: AgentResult(name=agent.name) for agent in ensemble.agents}
        """The agents' state while the run goes; the result shares these records (an agent left
        behind by `_stop_all` keeps an old one of its own)."""
        self._order: list[str] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._done: asyncio.Queue[str | None] = asyncio.Queue()
        """Agents as they end; None: an attempt ended with a cost (the budget is checked)."""
        self._t0 = 0.0
        self._seq = 0
        self._wall_millis = -1
        self._wall_text = ""
        self._hook_failures = 0
        self._started = False
        self._closed = False
        self._stopping = False
        self._task: asyncio.Task[object] | None = None
        self._cancel_reason: str | None = None
        self._cancelled_task = False
        limit = self.options.max_concurrency or ensemble.max_concurrency
        self._run_slot = Slot(limit, f"a slot of the run ({limit} at a time)") if limit else None
        self._max_cost = self.options.max_cost or ensemble.max_cost
        self._budget = BudgetMeter(self._max_cost, self._cost_spent) if self._max_cost else None
        self._stopped_reason: str | None = None
        self.result: RunResult | None = None
        """Set when the run ends, whichever way it ends."""

    def _now(self) -> float:
        return time.monotonic() - self._t0

    # -- events -------------------------------------------------------------------------------

    def _stamp(self) -> tuple[int, float, str]:
        """The next event's sequence number and both timestamps (the wall-clock text is
        formatted once per millisecond: a busy run emits many in one)."""
        self._seq += 1
        millis = time.time_ns() // 1_000_000
        if millis != self._wall_millis:
            self._wall_millis = millis
            moment = datetime.fromtimestamp(millis / 1000, UTC)
            self._wall_text = moment.isoformat(timespec="milliseconds")
        return self._seq, time.monotonic() - self._t0, self._wall_text

    def _header(self) -> _Header:
        """The next event's common fields (`_stamp`, with the run id), as keyword arguments."""
        seq, at, wall = self._stamp()
        return {"run_id": self.run_id, "seq": seq, "at": at, "time": wall}

    def _send(self, event: RunEvent) -> None:
        """Publish EVENT; the hook's own exceptions never reach the run."""
        if self._closed:
            logger.debug("run %s: dropped %s after the run finished", self.run_id, event.type)
            return
        try:
            self._emit(event)
        except (Exception, asyncio.CancelledError):
            self._hook_failures += 1
            if self._hook_failures == 1:
                logger.warning(
                    "run %s: the on_event hook raised on event %d (%s); the run goes on, the "
                    "hook still receives every event, and its later failures are not logged",
                    self.run_id,
                    event.seq,
                    event.type,
                    exc_info=True,
                )

    # -- the run ------------------------------------------------------------------------------

    def cancel(self, reason: str = CANCELLED) -> None:
        """Stop the run, keeping what finished: before it started, it ends at once when it
        starts; while it goes, `execute()` stops its agents and returns the result (status
        cancelled). Calling it again, or after the run ended, does nothing."""
        if self._closed or self._cancel_reason is not None:
            return
        self._cancel_reason = reason
        if self._task is not None and not self._stopping and self.result is None:
            self._cancelled_task = True
            self._task.cancel()

    async def execute(self) -> RunResult:
        """Run every agent and return the result, also on timeout or `cancel()`. Cancelling the
        task that awaits it keeps what finished too: the result is built and announced (and
        kept in `self.result`), then CancelledError propagates."""
        if self._started:
            raise RuntimeError("an EnsembleRun executes once")
        self._started = True
        interrupted = await self._prepare()
        self._task = asyncio.current_task()
        self._t0 = time.monotonic()
        started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._send(
            EnsembleStarted(
                **self._header(),
                ensemble=self.ensemble.name,
                agents=self._graph.order,
                depends_on=dict(self._graph.depends_on),
            )
        )
        status: RunStatus | None = None
        reason: str | None = None
        timeout = self.options.timeout_seconds or self.ensemble.timeout_seconds
        try:
            if self._cancel_reason is None:
                async with asyncio.timeout(timeout):
                    await self._schedule()
            else:
                status, reason = RunStatus.CANCELLED, CANCELLED_BEFORE_START
        except TimeoutError:
            status, reason = RunStatus.TIMED_OUT, f"the ensemble timed out after {timeout:g}s"
        except _BudgetReached as reached:
            self._stopped_reason, reason = BUDGET, str(reached)
        except asyncio.CancelledError:
            interrupted = True
            status, reason = RunStatus.CANCELLED, self._cancel_reason or CANCELLED
        except Exception as exc:  # an engine bug: the run still ends, and says why
            logger.exception("run %s: the scheduler failed", self.run_id)
            status, reason = RunStatus.FAILED, f"internal error: {type(exc).__name__}: {exc}"
        if self._cancelled_task and not interrupted:
            # Our cancel() came where the run did not wait again (as the schedule ended, or
            # from the first event's hook): take it here, never to reach the caller.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0)
        if reason is not None:
            stopped_any = await self._stop_all(reason)
            if status is RunStatus.TIMED_OUT and not stopped_any:
                status = None  # every agent had ended when the timeout fired
        result = self._finish(started_at, status)
        if self._task is not None:
            if self._cancelled_task:
                self._task.uncancel()  # our own cancel() is not the caller's cancellation
            if self._task.cancelling():
                raise asyncio.CancelledError
        return result

    async def _schedule(self) -> None:
        remaining = {name: len(set(deps)) for name, deps in self._graph.depends_on.items()}
        # Only the agents that others wait for: an empty list per agent would live as long as
        # the run (a fan-out's garbage collector would go through a thousand of them).
        dependents = {name: kids for name, kids in self._graph.dependents.items() if kids}
        loop = asyncio.get_running_loop()
        for name in self._graph.order:
            if remaining[name] == 0:
                self._start(name, loop)
        finished = 0
        while finished < len(remaining):
            ended = await self._done.get()
            if ended is None:  # an attempt that goes on has spent
                self._check_budget()
                continue
            finished += 1
            if finished < len(remaining):
                self._check_budget()
            for child in dict.fromkeys(dependents.get(ended, ())):
                remaining[child] -= 1
                if remaining[child] == 0:
                    self._start(child, loop)

    # -- the budget -----------------------------------------------------------------------------

    def _budget_record(self) -> BudgetRecord | None:
        """What the run has spent against its `max_cost` (None: it has none)."""
        if self._budget is None:
            return None
        return self._budget.record((r.name, r.usage) for r in self.results.values())

    async def _prepare(self) -> bool:
        """Load what the agents need and no run of this process has loaded yet — the price
        table, their providers' SDKs (a provider's optional `preload()`) — in threads, before
        the run's clock starts: the event loop never stalls on an import, and a run's timings
        are its agents'. True when the task was cancelled meanwhile (the run then ends at once,
        every agent skipped, and the cancellation goes on to the caller)."""
        loads: list[Callable[[], object]] = []
        seen: set[tuple[str, str | None, str | None]] = set()
        providers: set[str] = set()
        price_table = table_loaded()
        for agent in self.ensemble.agents:
            # What is needed depends on the profile, model and provider only: agents that
            # share them are asked once.
            key = (agent.profile_name, agent.model, agent.provider)
            if key in seen:
                continue
            seen.add(key)
            try:
                settings = resolve_settings(agent, self.profiles.get(agent.profile_name))
            except SettingsError:
                continue  # the agent fails with that error when it runs
            if not price_table and settings.needs_price_table():
                price_table = True
                loads.append(load_table)
            if settings.provider not in providers:
                providers.add(settings.provider)
                preload = _preloader(self._providers, settings.provider)
                if preload is not None:
                    loads.append(preload)
        if not loads:
            return False
        try:
            await asyncio.gather(*(asyncio.to_thread(load) for load in loads))
        except asyncio.CancelledError:
            self._cancel_reason = self._cancel_reason or CANCELLED
            return True
        return False

    def _check_budget(self) -> None:
        """Raise `_BudgetReached` once the spent cost (streaming attempts' estimates included)
        reaches `max_cost`, unless every agent has already ended."""
        if self._budget is None:  # checked once per ended agent: the usual case costs nothing
            return
        record = self._budget_record()
        unfinished = (r.status in _UNFINISHED for r in self.results.values())
        if record is not None and record.reached and any(unfinished):
            raise _BudgetReached(record)

    def _cost_spent(self) -> None:
        """An attempt that goes on (a retry) has spent, or a streaming attempt's estimate
        reached the budget (`BudgetMeter`): have the schedule check the budget."""
        if self._max_cost is not None and not self._stopping:
            self._done.put_nowait(None)

    def _start(self, name: str, loop: asyncio.AbstractEventLoop) -> None:
        agent = self._agents[name]
        reason = self._blocking_dependency(agent) if agent.depends_on else None
        if reason is not None:
            result = self.results[name]
            result.status = AgentStatus.SKIPPED
            result.error = reason
            result.error_type = "skipped"
            self._send(AgentSkipped(**self._header(), agent=name, reason=reason))
            self._done.put_nowait(name)
            return
        # The loop's own create_task: asyncio.create_task names the task a second time.
        task = loop.create_task(self._run_agent(agent), name=f"agent:{name}")
        self._tasks[name] = task

    def _blocking_dependency(self, agent: Agent) -> str | None:
        if agent.on_dependency_failure == "continue":
            return None
        for dep in agent.depends_on:
            status = self.results[dep].status
            if status is not AgentStatus.SUCCEEDED:
                return f"dependency '{dep}' {status.value}"
        return None

    async def _stop_all(self, reason: str) -> bool:
        """Cancel every agent still going and wait (at most `stop_grace_seconds`) until they
        ended; then give every agent a final status. Cancellations that arrive meanwhile are
        held back (`execute` re-raises them). Returns whether any agent had to be stopped."""
        self._stopping = True
        running = [task for task in self._tasks.values() if not task.done()]
        for task in running:
            task.cancel()
        pending: set[asyncio.Task[None]] = set(running)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.stop_grace_seconds
        while pending and (left := deadline - loop.time()) > 0:
            with contextlib.suppress(asyncio.CancelledError):
                _, pending = await asyncio.wait(pending, timeout=left)
        if pending:
            left_behind = sorted(task.get_name().removeprefix("agent:") for task in pending)
            for name in left_behind:
                # The task keeps its own (old) record: what it does later cannot reach the run.
                self.results[name] = replace(self.results[name])
            names = ", ".join(left_behind)
            logger.warning(
                "run %s: agents did not stop within %gs of being cancelled (%s); they are "
                "reported cancelled and left behind",
                self.run_id,
                self.stop_grace_seconds,
                names,
            )
        now = self._now()
        stopped_any = False
        for result in self.results.values():
            if result.status in _STOPPABLE:
                stopped_any = True
                result.status = AgentStatus.CANCELLED
                result.error, result.error_type = reason, "cancelled"
                result.finished_at = now
                self._send(AgentCancelled(**self._header(), agent=result.name, reason=reason))
            elif result.status is AgentStatus.PENDING:
                stopped_any = True
                result.status = AgentStatus.SKIPPED
                result.error, result.error_type = reason, "skipped"
                self._send(AgentSkipped(**self._header(), agent=result.name, reason=reason))
        return stopped_any

    def _finish(self, started_at: str, status: RunStatus | None) -> RunResult:
        self._stopping = True  # from here on, `cancel()` has nothing left to interrupt
        final = self._final_agent()
        if status is None:
            statuses = [r.status for r in self.results.values()]
            if all(s is AgentStatus.SUCCEEDED for s in statuses):
                status = RunStatus.SUCCEEDED
            elif final is not None and self.results[final].status is AgentStatus.SUCCEEDED:
                status = RunStatus.PARTIAL
            else:
                status = RunStatus.FAILED
        self.result = RunResult(
            run_id=self.run_id,
            ensemble=self.ensemble.name,
            input=self.task,
            status=status,
            agents=[self.results[name] for name in self._graph.order],
            execution_order=list(self._order),
            final_agent=final,
            started_at=started_at,
            duration_seconds=self._now(),
            source=str(self.ensemble.source) if self.ensemble.source else None,
            stopped_reason=self._stopped_reason,
            budget=self._budget_record(),
        )
        self._send(EnsembleFinished(**self._header(), result=self.result))
        self._closed = True
        return self.result

    def _final_agent(self) -> str | None:
        """The single sink; with several, the last declared one that succeeded."""
        sinks = self._graph.sinks()
        if len(sinks) == 1:
            return sinks[0]
        succeeded = [s for s in sinks if self.results[s].status is AgentStatus.SUCCEEDED]
        return succeeded[-1] if succeeded else None

    # -- one agent ----------------------------------------------------------------------------

    async def _run_agent(self, agent: Agent) -> None:
        """The agent's attempts on its profile, then on its fallback profile if those fail; it
        ends with a final status whatever happens (one coroutine: every layer of it is paid
        per agent, in creation, garbage collection and each resumption)."""
        result = self.results[agent.name]
        try:
            profile = self.profiles.get(agent.profile_name)
            fallback: ModelProfile | None = None
            try:
                await self._attempts(agent, resolve_settings(agent, profile), result)
            except (_AttemptFailed, SettingsError) as failure:
                fallback = self._fallback(agent, profile, result, failure)
            if fallback is not None:
                settings = resolve_settings(agent, fallback, fallback=True)
                await self._attempts(agent, settings, result)
        except asyncio.CancelledError:
            if self._stopping:
                raise
            # Not the run's doing: a provider (or a hook) raised it. The agent fails, the run
            # goes on.
            self._fail(
                result,
                "cancelled while the run was not (a provider or hook raised CancelledError)",
                "internal",
            )
        except _AttemptFailed as failure:
            if not self._stopping:  # stopping, an error is how the provider took the cancel
                self._fail(result, str(failure), failure.error_type)
        except Exception as exc:  # error isolation: one agent's bug never stops the others
            if not self._stopping:
                self._fail(result, f"{type(exc).__name__}: {exc}", "internal")
        finally:
            self._done.put_nowait(agent.name)

    def _fail(self, result: AgentResult, message: str, error_type: str) -> None:
        result.status = AgentStatus.FAILED
        result.error, result.error_type = message, error_type
        result.finished_at = self._now()
        self._send(
            AgentFailed(**self._header(), agent=result.name, error=message, error_type=error_type)
        )

    def _fallback(
        self,
        agent: Agent,
        profile: ModelProfile | None,
        result: AgentResult,
        failure: _AttemptFailed | SettingsError,
    ) -> ModelProfile:
        """The profile AGENT falls back to after FAILURE on its own, announced; re-raises the
        failure when there is none (or the run is stopping)."""
        fallback_name = agent.fallback_model_profile or (
            profile.fallback_model_profile if profile else None
        )
        fallback = self.profiles.get(fallback_name) if fallback_name else None
        if fallback is None or fallback_name == agent.profile_name or self._stopping:
            if isinstance(failure, SettingsError):
                raise _AttemptFailed(str(failure), "config") from None
            raise failure
        reason = str(failure)
        result.fallback = FallbackRecord(agent.profile_name, fallback.name, reason)
        self._send(
            AgentFallback(
                **self._header(),
                agent=agent.name,
                from_profile=agent.profile_name,
                to_profile=fallback.name,
                error=reason,
            )
        )
        return fallback

    async def _attempts(self, agent: Agent, settings: AgentSettings, result: AgentResult) -> None:
        provider = self._provider_of.get(settings.provider)
        if provider is None:
            provider = self._provider_of[settings.provider] = self._providers(settings.provider)
        json_output = agent.json_output
        prompt = build_prompt(agent, self.task, self._outcomes(agent))
        system_prompt = build_system_prompt(
            settings.system_prompt, json_output=json_output, json_schema=agent.output_schema
        )
        result.model, result.provider, result.profile = (
            settings.model,
            settings.provider,
            settings.profile,
        )
        total_attempts = agent.retries.count + 1
        for attempt in range(1, total_attempts + 1):
            request = GenerationRequest(
                model=settings.model,
                system_prompt=system_prompt,
                prompt=prompt,
                temperature=settings.temperature,
                max_tokens=settings.max_tokens,
                json_output=json_output,
                json_schema=agent.output_schema,
                options=settings.options,
                base_url=settings.base_url,
                agent=agent.name,
                attempt=attempt,
                provider=settings.provider,
                profile=settings.profile,
                api_key_env=settings.api_key_env,
                timeout_seconds=settings.timeout_seconds,
                idle_timeout_seconds=settings.idle_timeout_seconds,
            )
            try:
                generation, _ = await self._generate(provider, settings, request)
            except (ProviderError, TimeoutError, _AgentTimedOut, _IdleTimedOut) as exc:
                retry_after: float | None = None
                if isinstance(exc, _AgentTimedOut):
                    transient, error_type = True, "timeout"
                    message = f"timed out after {settings.timeout_seconds:g}s"
                elif isinstance(exc, _IdleTimedOut):
                    transient, error_type = True, "timeout"
                    message = (
                        f"no text for {settings.idle_timeout_seconds:g}s (the profile's "
                        "idle_timeout_seconds)"
                    )
                elif isinstance(exc, TimeoutError):  # the provider's own (its client's) timeout
                    transient, error_type = True, "timeout"
                    message = (
                        f"the provider timed out: {exc}" if str(exc) else "the provider timed out"
                    )
                else:
                    transient, error_type, message = exc.transient, exc.error_type, str(exc)
                    if isinstance(exc, RateLimitedError):
                        retry_after = exc.retry_after
                if not transient or attempt == total_attempts or self._stopping:
                    raise _AttemptFailed(message, error_type) from None
                self._cost_spent()
                if retry_after is not None:  # the provider said how long: capped, never less
                    delay = min(max(0.0, retry_after), agent.retries.max_delay_seconds)
                else:
                    delay = backoff_delay(agent.retries, attempt, self._rng)
                self._send(
                    AgentRetrying(
                        **self._header(),
                        agent=agent.name,
                        attempt=result.attempts,
                        error=message,
                        delay_seconds=delay,
                    )
                )
                await asyncio.sleep(delay)
                continue
            text = generation.text
            result.finish_reason = generation.finish_reason.value
            if json_output:
                try:
                    result.parsed = parse_json_output(text, agent.output_schema)
                except JsonOutputError as exc:
                    result.output = text  # the raw text stays visible in the result
                    raise _AttemptFailed(str(exc), "invalid_json") from None
            result.status = AgentStatus.SUCCEEDED
            result.output = text
            seq, at, wall = self._stamp()
            result.finished_at = at
            duration = result.duration_seconds or 0.0
            self._send(
                AgentFinished(
                    run_id=self.run_id,
                    seq=seq,
                    at=at,
                    time=wall,
                    agent=agent.name,
                    output=text,
                    usage=result.usage,
                    duration_seconds=duration,
                )
            )
            return

    async def _generate(
        self, provider: Provider, settings: AgentSettings, request: GenerationRequest
    ) -> tuple[Generation, Usage]:
        """One attempt with its slots: announced once it holds them, then generated within its
        timeouts; its usage (a failed or cancelled one's too) is added to the agent's."""
        result = self.results[request.agent]
        cost = self._budget.attempt(request, settings.pricing()) if self._budget else None
        # The agent's attempt in the run (fallback included).
        stream = _AttemptStream(self, result, result.attempts + 1, settings.provider, cost)
        slots = self._slots(provider, settings)
        try:
            if slots:
                async with holding(slots, stream.queued):
                    self._announce(result, settings)
                    generation = await _generation(provider, settings, request, stream.text)
            else:
                self._announce(result, settings)
                generation = await _generation(provider, settings, request, stream.text)
        except BaseException as exc:
            reported = exc.usage if isinstance(exc, ProviderError) else None
            spent = reported or stream.usage(request)
            if spent is not None:
                _add_usage(result, settings.priced(spent))
            raise
        finally:
            stream.end()
        usage = settings.priced(generation)  # its counts, without a TokenUsage copy
        _add_usage(result, usage)
        return generation, usage

    def _announce(self, result: AgentResult, settings: AgentSettings) -> None:
        """An attempt holds its slots and starts generating: say so."""
        result.status = AgentStatus.RUNNING
        result.attempts += 1
        seq, at, wall = self._stamp()
        if result.started_at is None:
            result.started_at = at
            self._order.append(result.name)
        self._send(
            AgentStarted(
                run_id=self.run_id,
                seq=seq,
                at=at,
                time=wall,
                agent=result.name,
                model=settings.model,
                provider=settings.provider,
                profile=settings.profile,
                attempt=result.attempts,
            )
        )

    def _slots(self, provider: Provider, settings: AgentSettings) -> Sequence[Slot]:
        """The slots an attempt holds while generating: the run's own first, then the
        process-wide ones of its profile and its provider."""
        if (
            self._run_slot is None
            and not settings.profile_max_concurrency
            and not provider.default_max_concurrency
        ):
            return ()
        slots: list[Slot] = []
        if self._run_slot is not None:
            slots.append(self._run_slot)
        if settings.profile_max_concurrency:
            cap = settings.profile_max_concurrency
            slots.append(shared_limits().profile(settings.profile, cap))
        if provider.default_max_concurrency:
            cap = provider.default_max_concurrency
            slots.append(shared_limits().provider(settings.provider, cap))
        return slots

    def _outcomes(self, agent: Agent) -> Mapping[str, DependencyOutcome]:
        """AGENT's dependencies' outcomes (a method of its own: a comprehension in `_attempts`
        would keep `self` in a cell of every agent's coroutine)."""
        if not agent.depends_on:
            return _NO_OUTCOMES
        return {dep: self._outcome(dep) for dep in agent.depends_on}

    def _outcome(self, name: str) -> DependencyOutcome:
        dep = self.results[name]
        if dep.status is AgentStatus.SUCCEEDED:
            return DependencyOutcome(dep.output)
        return DependencyOutcome(None, dep.error or dep.status.value)


class _AttemptStream:
    """The text of one attempt as it streams: each piece is published as a text delta and
    counted by the budget while the attempt goes (a piece that comes later is dropped, with a
    warning), and its size kept for the estimate of an attempt that fails after streaming.

    One object per attempt, made before the agent's first await (a closure over the same
    state costs nine cells, which a 1,000-agent fan-out pays in garbage collection)."""

    __slots__ = ("_chars", "_cost", "_pieces", "_provider", "_result", "_run", "attempt", "live")

    def __init__(
        self,
        run: EnsembleRun,
        result: AgentResult,
        attempt: int,
        provider: str,
        cost: AttemptCost | None,
    ) -> None:
        self._run = run
        self._result = result
        self._provider = provider
        self._cost = cost
        self._pieces = 0
        self._chars = 0
        self.attempt = attempt
        self.live = True

    def text(self, piece: str) -> None:
        """The provider's `on_text`."""
        run = self._run
        if not self.live:
            logger.warning(
                "run %s: provider '%s' sent text for agent '%s' after its attempt ended; "
                "the text is dropped",
                run.run_id,
                self._provider,
                self._result.name,
            )
            return
        self._pieces += 1
        self._chars += len(piece)
        if self._cost is not None:
            self._cost.streamed(piece)  # the budget sees the attempt's cost grow
        seq, at, wall = run._stamp()
        run._send(
            AgentTextDelta(
                run_id=run.run_id,
                seq=seq,
                at=at,
                time=wall,
                agent=self._result.name,
                attempt=self.attempt,
                text=piece,
            )
        )

    def queued(self, slot: Slot) -> None:
        """`holding`'s `on_queued`: the agent waits for SLOT."""
        self._result.status = AgentStatus.QUEUED
        run = self._run
        run._send(
            AgentQueued(**run._header(), agent=self._result.name, waiting_for=slot.waiting_for)
        )

    def usage(self, request: GenerationRequest) -> TokenUsage | None:
        """An estimate of what the attempt used when it streamed and then failed or was
        cancelled (its provider could not say); None when nothing streamed."""
        if not self._pieces:
            return None
        prompt = request.system_prompt + request.prompt
        return TokenUsage(estimate_tokens(prompt), tokens_for_chars(self._chars), estimated=True)

    def end(self) -> None:
        """The attempt ended: later text is dropped, and the budget's estimate of it ends."""
        self.live = False
        if self._cost is not None:
            self._cost.end()


def _generation(
    provider: Provider,
    settings: AgentSettings,
    request: GenerationRequest,
    on_text: Callable[[str], None],
) -> Coroutine[Any, Any, Generation]:
    """PROVIDER's generation of REQUEST, within the attempt's timeouts if it has any (the
    coroutine itself, not a wrapper: an attempt without timeouts awaits one layer less)."""
    if settings.timeout_seconds is None and settings.idle_timeout_seconds is None:
        return provider.generate(request, on_text)
    return _generate_within_timeouts(provider, settings, request, on_text)


async def _generate_within_timeouts(
    provider: Provider,
    settings: AgentSettings,
    request: GenerationRequest,
    on_text: Callable[[str], None],
) -> Generation:
    """PROVIDER's generation within the attempt's timeout and its idle timeout (a function of
    its own, so that an attempt without timeouts makes none of its closures)."""
    idle_seconds = settings.idle_timeout_seconds
    loop = asyncio.get_running_loop()
    deadline = asyncio.timeout(settings.timeout_seconds)
    idle = asyncio.timeout(idle_seconds)

    def watched(piece: str) -> None:
        if idle_seconds is not None:
            with contextlib.suppress(RuntimeError):  # the attempt has already ended
                idle.reschedule(loop.time() + idle_seconds)
        on_text(piece)

    try:
        async with deadline, idle:
            return await provider.generate(request, watched)
    except TimeoutError:
        if idle.expired():
            raise _IdleTimedOut from None
        if deadline.expired():
            raise _AgentTimedOut from None
        raise  # the provider's own timeout


def _preloader(providers: ProviderLookup, name: str) -> Callable[[], object] | None:
    """NAME's provider's `preload` (a blocking import of what its first request needs), made
    safe to run in a thread: a missing SDK is the agent's error to report when it runs."""
    try:
        preload = getattr(providers(name), "preload", None)
    except Exception:  # an unknown or broken provider: the agent says so when it runs
        return None
    if not callable(preload):
        return None

    def run() -> None:
        with contextlib.suppress(Exception):
            preload()

    return run


def _add_usage(result: AgentResult, usage: Usage) -> None:
    """Add one attempt's USAGE to its agent's (the first attempt's is the agent's as it is)."""
    result.usage = usage if result.usage is NO_USAGE else result.usage + usage


async def cancel_quietly(task: asyncio.Task[object]) -> None:
    """Cancel TASK and wait for it, ignoring its CancelledError."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
