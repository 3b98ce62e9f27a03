"""The ending the run service writes itself when the engine cannot: a run whose engine broke.
It keeps the contract: one `ensemble_started` first, one `ensemble_finished` last, every agent
with a final status, `seq` consecutive."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from llm_orc.execution.events import (
    AgentFailed,
    AgentSkipped,
    EnsembleFinished,
    EnsembleStarted,
    RunEvent,
)
from llm_orc.execution.graph import graph_of
from llm_orc.execution.result import AgentResult, AgentStatus, RunResult, RunStatus

if TYPE_CHECKING:
    from llm_orc.config.ensemble import Ensemble
    from llm_orc.execution.service import RunEngine

Ending = tuple[list[RunEvent], RunResult]
"""The events still to append, the last of them `ensemble_finished` with this result."""

_FINAL = frozenset(
    {AgentStatus.SUCCEEDED, AgentStatus.FAILED, AgentStatus.SKIPPED, AgentStatus.CANCELLED}
)


def now_iso() -> str:
    """Wall-clock time as the events carry it: ISO 8601 UTC with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class _Events:
    """Makes the events appended after LAST_SEQ: numbered on from it, stamped AT."""

    def __init__(self, engine: RunEngine, last_seq: int, at: float) -> None:
        self.run_id = engine.run_id
        self.seq = last_seq
        self.at = at

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def started(self, ensemble: Ensemble) -> EnsembleStarted:
        agents = ensemble.agents
        return EnsembleStarted(
            run_id=self.run_id,
            seq=self._next(),
            at=self.at,
            time=now_iso(),
            ensemble=ensemble.name,
            agents=tuple(agent.name for agent in agents),
            depends_on={agent.name: tuple(agent.depends_on) for agent in agents},
        )

    def skipped(self, agent: str, reason: str) -> AgentSkipped:
        return AgentSkipped(
            run_id=self.run_id,
            seq=self._next(),
            at=self.at,
            time=now_iso(),
            agent=agent,
            reason=reason,
        )

    def failed(self, agent: str, error: str) -> AgentFailed:
        return AgentFailed(
            run_id=self.run_id,
            seq=self._next(),
            at=self.at,
            time=now_iso(),
            agent=agent,
            error=error,
            error_type="internal",
        )

    def finished(self, result: RunResult) -> EnsembleFinished:
        return EnsembleFinished(
            run_id=self.run_id, seq=self._next(), at=self.at, time=now_iso(), result=result
        )


def crashed_ending(
    engine: RunEngine,
    so_far: Sequence[RunEvent],
    message: str,
    status: RunStatus,
    at: float,
) -> Ending:
    """A run whose engine broke after emitting SO_FAR: agents still going fail with MESSAGE,
    those that never ran are skipped, and the run ends with STATUS (`failed`, or `cancelled`
    when it was being cancelled) and MESSAGE as its `error`, also when every agent had ended."""
    make = _Events(engine, so_far[-1].seq if so_far else 0, at)
    events: list[RunEvent] = []
    if not so_far:
        events.append(make.started(engine.ensemble))
    started_at = (so_far[0] if so_far else events[0]).time
    reason = f"the run failed: {message}"
    agents: list[AgentResult] = []
    for agent in engine.ensemble.agents:
        known = engine.results.get(agent.name)
        outcome = dataclasses.replace(known) if known else AgentResult(name=agent.name)
        if outcome.status is AgentStatus.RUNNING:
            outcome.status, outcome.error, outcome.error_type = (
                AgentStatus.FAILED,
                reason,
                "internal",
            )
            outcome.finished_at = at
            events.append(make.failed(agent.name, reason))
        elif outcome.status not in _FINAL:
            outcome.status, outcome.error, outcome.error_type = (
                AgentStatus.SKIPPED,
                reason,
                "skipped",
            )
            events.append(make.skipped(agent.name, reason))
        agents.append(outcome)
    result = _result(engine, agents, status, started_at, at, message)
    events.append(make.finished(result))
    return events, result


def _result(
    engine: RunEngine,
    agents: list[AgentResult],
    status: RunStatus,
    started_at: str,
    duration: float,
    error: str,
) -> RunResult:
    ensemble = engine.ensemble
    graph = graph_of(
        [agent.name for agent in ensemble.agents],
        {agent.name: agent.depends_on for agent in ensemble.agents},
    )
    sinks = graph.sinks()
    by_name = {agent.name: agent for agent in agents}
    succeeded = [name for name in sinks if by_name[name].status is AgentStatus.SUCCEEDED]
    final = sinks[0] if len(sinks) == 1 else (succeeded[-1] if succeeded else None)
    ran = [agent for agent in agents if agent.started_at is not None]
    return RunResult(
        run_id=engine.run_id,
        ensemble=ensemble.name,
        input=engine.task,
        status=status,
        agents=agents,
        execution_order=[agent.name for agent in sorted(ran, key=lambda a: a.started_at or 0.0)],
        final_agent=final,
        started_at=started_at,
        duration_seconds=duration,
        source=str(ensemble.source) if ensemble.source else None,
        error=error,
    )
