"""The ready-queue scheduler: each agent starts the moment its own dependencies have finished.

There are no phase barriers: a slow agent holds back only the agents that need its result.
Concurrency is capped per ensemble, per provider and per profile; each attempt has its own
timeout, transient errors are retried with backoff, a failing agent can fall back to another
profile, and one agent's failure never takes its siblings down.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict

from llm_orc.config.ensemble import Agent, Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.agent_settings import AgentSettings, SettingsError, resolve_settings
from llm_orc.execution.events import (
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
from llm_orc.execution.prompting import DependencyOutcome, build_prompt, build_system_prompt
from llm_orc.execution.result import (
    AgentResult,
    AgentStatus,
    FallbackRecord,
    RunResult,
    RunStatus,
)
from llm_orc.execution.retry import backoff_delay
from llm_orc.providers.base import GenerationRequest, Provider, ProviderError
from llm_orc.providers.registry import get_provider

EventSink = Callable[[RunEvent], None]
ProviderLookup = Callable[[str], Provider]

_FINISHED = (AgentStatus.SUCCEEDED, AgentStatus.FAILED, AgentStatus.SKIPPED, AgentStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Per-run overrides of the ensemble's own limits."""

    max_concurrency: int | None = None
    timeout_seconds: float | None = None
    run_id: str | None = None


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


class EnsembleRun:
    """One run of an ensemble. `execute()` runs it, publishing events to `emit`."""

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
    ) -> None:
        self.ensemble = ensemble
        self.task = task
        self.profiles = profiles
        self.options = options or RunOptions()
        self.run_id = self.options.run_id or uuid.uuid4().hex
        self._emit = emit
        self._providers = providers
        self._rng = rng or random.Random()
        self._graph: DependencyGraph = graph_of(
            [a.name for a in ensemble.agents], {a.name: a.depends_on for a in ensemble.agents}
        )
        self._agents = {agent.name: agent for agent in ensemble.agents}
        self.results = {agent.name: AgentResult(name=agent.name) for agent in ensemble.agents}
        self._order: list[str] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._done: asyncio.Queue[str] = asyncio.Queue()
        self._t0 = 0.0
        self._seq = 0
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._limit = self.options.max_concurrency or ensemble.max_concurrency
        self._ensemble_limit = asyncio.Semaphore(self._limit) if self._limit else None
        self.result: RunResult | None = None
        """Set when the run ends, whichever way it ends."""

    def _now(self) -> float:
        return time.monotonic() - self._t0

    def _header(self) -> _Header:
        """The next event's common fields: its sequence number and both timestamps."""
        self._seq += 1
        return {
            "run_id": self.run_id,
            "seq": self._seq,
            "at": self._now(),
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }

    # -- the run ------------------------------------------------------------------------------

    async def execute(self) -> RunResult:
        """Run every agent; returns the result (also on timeout). Cancellation keeps what finished:
        the result is built and announced, then CancelledError propagates."""
        self._t0 = time.monotonic()
        started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._emit(
            EnsembleStarted(
                **self._header(),
                ensemble=self.ensemble.name,
                agents=self._graph.order,
                depends_on=dict(self._graph.depends_on),
            )
        )
        status: RunStatus | None = None
        timeout = self.options.timeout_seconds or self.ensemble.timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                await self._schedule()
        except TimeoutError:
            status = RunStatus.TIMED_OUT
            await self._stop_all(f"the ensemble timed out after {timeout:g}s")
        except asyncio.CancelledError:
            await self._stop_all("the run was cancelled")
            self._finish(started_at, RunStatus.CANCELLED)
            raise
        return self._finish(started_at, status)

    async def _schedule(self) -> None:
        remaining = {name: len(set(deps)) for name, deps in self._graph.depends_on.items()}
        dependents = self._graph.dependents
        for name in self._graph.order:
            if remaining[name] == 0:
                self._start(name)
        finished = 0
        while finished < len(remaining):
            name = await self._done.get()
            finished += 1
            for child in dict.fromkeys(dependents[name]):
                remaining[child] -= 1
                if remaining[child] == 0:
                    self._start(child)

    def _start(self, name: str) -> None:
        agent = self._agents[name]
        reason = self._blocking_dependency(agent)
        if reason is not None:
            result = self.results[name]
            result.status = AgentStatus.SKIPPED
            result.error = reason
            result.error_type = "skipped"
            self._emit(AgentSkipped(**self._header(), agent=name, reason=reason))
            self._done.put_nowait(name)
            return
        self._tasks[name] = asyncio.create_task(self._run_agent(agent), name=f"agent:{name}")

    def _blocking_dependency(self, agent: Agent) -> str | None:
        if agent.on_dependency_failure == "continue":
            return None
        for dep in agent.depends_on:
            status = self.results[dep].status
            if status is not AgentStatus.SUCCEEDED:
                return f"dependency '{dep}' {status.value}"
        return None

    async def _stop_all(self, reason: str) -> None:
        running = [task for task in self._tasks.values() if not task.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        now = self._now()
        for result in self.results.values():
            if result.status in (AgentStatus.RUNNING, AgentStatus.QUEUED):
                result.status = AgentStatus.CANCELLED
                result.error, result.error_type = reason, "cancelled"
                result.finished_at = now
                self._emit(AgentCancelled(**self._header(), agent=result.name, reason=reason))
            elif result.status is AgentStatus.PENDING:
                result.status = AgentStatus.SKIPPED
                result.error, result.error_type = reason, "skipped"
                self._emit(AgentSkipped(**self._header(), agent=result.name, reason=reason))

    def _finish(self, started_at: str, status: RunStatus | None) -> RunResult:
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
        )
        self._emit(EnsembleFinished(**self._header(), result=self.result))
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
        result = self.results[agent.name]
        try:
            await self._run_with_fallback(agent, result)
        except asyncio.CancelledError:
            raise
        except _AttemptFailed as failure:
            self._fail(result, str(failure), failure.error_type)
        except Exception as exc:  # error isolation: one agent's bug never stops the others
            self._fail(result, f"{type(exc).__name__}: {exc}", "internal")
        self._done.put_nowait(agent.name)

    def _fail(self, result: AgentResult, message: str, error_type: str) -> None:
        result.status = AgentStatus.FAILED
        result.error, result.error_type = message, error_type
        result.finished_at = self._now()
        self._emit(
            AgentFailed(**self._header(), agent=result.name, error=message, error_type=error_type)
        )

    async def _run_with_fallback(self, agent: Agent, result: AgentResult) -> None:
        profile = self.profiles.get(agent.profile_name)
        try:
            settings = resolve_settings(agent, profile)
            await self._attempts(agent, settings, result)
            return
        except (_AttemptFailed, SettingsError) as failure:
            fallback_name = agent.fallback_model_profile or (
                profile.fallback_model_profile if profile else None
            )
            fallback = self.profiles.get(fallback_name) if fallback_name else None
            if fallback is None or fallback_name == agent.profile_name:
                if isinstance(failure, SettingsError):
                    raise _AttemptFailed(str(failure), "config") from None
                raise
            reason = str(failure)
        result.fallback = FallbackRecord(agent.profile_name, fallback.name, reason)
        self._emit(
            AgentFallback(
                **self._header(),
                agent=agent.name,
                from_profile=agent.profile_name,
                to_profile=fallback.name,
                error=reason,
            )
        )
        settings = resolve_settings(agent, fallback, fallback=True)
        await self._attempts(agent, settings, result)

    async def _attempts(self, agent: Agent, settings: AgentSettings, result: AgentResult) -> None:
        provider = self._providers(settings.provider)
        json_output = agent.json_output
        deps = {dep: self._outcome(dep) for dep in agent.depends_on}
        prompt = build_prompt(agent, self.task, deps)
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
            )
            try:
                text, usage = await self._generate(provider, settings, request)
            except (ProviderError, TimeoutError) as exc:
                transient = isinstance(exc, TimeoutError) or exc.transient
                message = (
                    f"timed out after {settings.timeout_seconds:g}s"
                    if isinstance(exc, TimeoutError)
                    else str(exc)
                )
                if not transient or attempt == total_attempts:
                    error_type = "timeout" if isinstance(exc, TimeoutError) else "provider"
                    raise _AttemptFailed(message, error_type) from None
                delay = backoff_delay(agent.retries, attempt, self._rng)
                self._emit(
                    AgentRetrying(
                        **self._header(),
                        agent=agent.name,
                        attempt=attempt,
                        error=message,
                        delay_seconds=delay,
                    )
                )
                await asyncio.sleep(delay)
                continue
            result.usage = result.usage + usage
            if json_output:
                try:
                    result.parsed = parse_json_output(text, agent.output_schema)
                except JsonOutputError as exc:
                    raise _AttemptFailed(str(exc), "invalid_json") from None
            result.status = AgentStatus.SUCCEEDED
            result.output = text
            result.finished_at = self._now()
            duration = result.duration_seconds or 0.0
            self._emit(
                AgentFinished(
                    **self._header(),
                    agent=agent.name,
                    output=text,
                    usage=result.usage,
                    duration_seconds=duration,
                )
            )
            return

    async def _generate(
        self, provider: Provider, settings: AgentSettings, request: GenerationRequest
    ) -> tuple[str, Usage]:
        name, attempt = request.agent, request.attempt

        def on_text(piece: str) -> None:
            self._emit(AgentTextDelta(**self._header(), agent=name, attempt=attempt, text=piece))

        slots = self._slots(provider, settings)
        result = self.results[name]
        queued = False
        for index, (semaphore, waiting_for) in enumerate(slots):
            if semaphore.locked() and not queued:
                queued = True
                result.status = AgentStatus.QUEUED
                self._emit(AgentQueued(**self._header(), agent=name, waiting_for=waiting_for))
            try:
                await semaphore.acquire()
            except BaseException:
                for held, _ in slots[:index]:
                    held.release()
                raise
        try:
            result.status = AgentStatus.RUNNING
            result.attempts += 1
            if result.started_at is None:
                result.started_at = self._now()
                self._order.append(name)
            self._emit(
                AgentStarted(
                    **self._header(),
                    agent=name,
                    model=settings.model,
                    provider=settings.provider,
                    profile=settings.profile,
                    attempt=attempt,
                )
            )
            if settings.timeout_seconds is None:
                generation = await provider.generate(request, on_text)
            else:
                async with asyncio.timeout(settings.timeout_seconds):
                    generation = await provider.generate(request, on_text)
        finally:
            for semaphore, _ in slots:
                semaphore.release()
        cost = settings.cost(generation.input_tokens, generation.output_tokens)
        return generation.text, Usage(generation.input_tokens, generation.output_tokens, cost)

    def _slots(
        self, provider: Provider, settings: AgentSettings
    ) -> list[tuple[asyncio.Semaphore, str]]:
        """Semaphores to hold while generating (profile, provider, ensemble), each with what an
        agent waiting for it is told."""
        slots: list[tuple[asyncio.Semaphore, str]] = []
        if settings.profile_max_concurrency:
            key = f"profile:{settings.profile}"
            if key not in self._limits:
                self._limits[key] = asyncio.Semaphore(settings.profile_max_concurrency)
            slots.append(
                (
                    self._limits[key],
                    f"a slot of profile '{settings.profile}' "
                    f"({settings.profile_max_concurrency} at a time)",
                )
            )
        if provider.default_max_concurrency:
            key = f"provider:{settings.provider}"
            if key not in self._limits:
                self._limits[key] = asyncio.Semaphore(provider.default_max_concurrency)
            slots.append(
                (
                    self._limits[key],
                    f"a slot of provider '{settings.provider}' "
                    f"({provider.default_max_concurrency} at a time)",
                )
            )
        if self._ensemble_limit is not None:
            slots.append((self._ensemble_limit, f"a slot of the run ({self._limit} at a time)"))
        return slots

    def _outcome(self, name: str) -> DependencyOutcome:
        dep = self.results[name]
        if dep.status is AgentStatus.SUCCEEDED:
            return DependencyOutcome(dep.output)
        return DependencyOutcome(None, dep.error or dep.status.value)


async def cancel_quietly(task: asyncio.Task[object]) -> None:
    """Cancel TASK and wait for it, ignoring its CancelledError."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
