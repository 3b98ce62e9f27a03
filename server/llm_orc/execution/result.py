"""The result document of a run (`schema/result.schema.json`, version 1).

One shape serves the CLI's JSON output, the language server and the API.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from llm_orc.errors import InvalidResultError
from llm_orc.execution.budget import BudgetRecord
from llm_orc.execution.events import NO_USAGE, Usage
from llm_orc.schemas import load_schema

RESULT_SCHEMA_VERSION = 1


class AgentStatus(StrEnum):
    PENDING = "pending"
    """Waiting for its dependencies."""
    QUEUED = "queued"
    """Ready, waiting for a concurrency slot (not started)."""
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class RunStatus(StrEnum):
    SUCCEEDED = "succeeded"
    """Every agent succeeded."""
    PARTIAL = "partial"
    """Some agents failed or were skipped, and the final agent still produced an answer."""
    FAILED = "failed"
    """No final answer."""
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True, slots=True)
class FallbackRecord:
    """The agent's own profile failed, and it ran on another."""

    from_profile: str
    to_profile: str
    reason: str


@dataclass(slots=True)
class AgentResult:
    """What happened to one agent."""

    name: str
    status: AgentStatus = AgentStatus.PENDING
    output: str | None = None
    parsed: Any = None
    """The parsed JSON value, for `output_format: json` agents."""
    error: str | None = None
    error_type: str | None = None
    model: str = ""
    provider: str = ""
    profile: str = ""
    attempts: int = 0
    fallback: FallbackRecord | None = None
    started_at: float | None = None
    finished_at: float | None = None
    usage: Usage = NO_USAGE
    finish_reason: str | None = None
    """Why its last generation ended (stop, length, content_filter, other); None: none did."""

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "status": self.status.value,
            "output": self.output,
            "error": None
            if self.error is None
            else {"type": self.error_type or "error", "message": self.error},
            "model": self.model or None,
            "provider": self.provider or None,
            "profile": self.profile or None,
            "attempts": self.attempts,
            "fallback": None
            if self.fallback is None
            else {
                "from_profile": self.fallback.from_profile,
                "to_profile": self.fallback.to_profile,
                "reason": self.fallback.reason,
            },
            "started_at": _rounded(self.started_at),
            "finished_at": _rounded(self.finished_at),
            "duration_seconds": _rounded(
                _span(_rounded(self.started_at), _rounded(self.finished_at))
            ),
            "usage": usage_document(self.usage),
            "finish_reason": self.finish_reason,
        }
        if self.parsed is not None:
            doc["parsed"] = self.parsed
        return doc

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> AgentResult:
        """The agent of a result document (already checked against the schema)."""
        error, fallback, usage = doc["error"], doc["fallback"], doc["usage"]
        return cls(
            name=doc["name"],
            status=AgentStatus(doc["status"]),
            output=doc["output"],
            parsed=doc.get("parsed"),
            error=None if error is None else error["message"],
            error_type=None if error is None else error["type"],
            model=doc["model"] or "",
            provider=doc["provider"] or "",
            profile=doc["profile"] or "",
            attempts=doc["attempts"],
            fallback=None
            if fallback is None
            else FallbackRecord(
                fallback["from_profile"], fallback["to_profile"], fallback["reason"]
            ),
            started_at=doc["started_at"],
            finished_at=doc["finished_at"],
            usage=Usage.from_document(usage),
            finish_reason=doc["finish_reason"],
        )


@dataclass(slots=True)
class RunResult:
    """The outcome of one run of an ensemble."""

    run_id: str
    ensemble: str
    input: str
    status: RunStatus
    agents: list[AgentResult]
    execution_order: list[str]
    final_agent: str | None
    started_at: str
    """ISO 8601 wall-clock time the run started (UTC)."""
    duration_seconds: float
    source: str | None = None
    stopped_reason: str | None = None
    """Why the run stopped before its agents were done, when not cancelled or timed out:
    `budget` (its cost reached `max_cost`)."""
    budget: BudgetRecord | None = None
    """The run's `max_cost` and what it spent, when it had one."""
    error: str | None = None
    """What broke the run itself (an engine failure, not an agent's): one line, or None."""

    @property
    def final_answer(self) -> str | None:
        if self.final_agent is None:
            return None
        final = self.agent(self.final_agent)
        return final.output if final.status is AgentStatus.SUCCEEDED else None

    def agent(self, name: str) -> AgentResult:
        for result in self.agents:
            if result.name == name:
                return result
        raise KeyError(name)

    @property
    def usage(self) -> Usage:
        total = Usage()
        for result in self.agents:
            total = total + result.usage
        return total

    def count(self, status: AgentStatus) -> int:
        return sum(1 for result in self.agents if result.status is status)

    def to_document(self) -> dict[str, Any]:
        """The versioned JSON document (`schema/result.schema.json`)."""
        return {
            "schema_version": RESULT_SCHEMA_VERSION,
            "run_id": self.run_id,
            "ensemble": self.ensemble,
            "source": self.source,
            "status": self.status.value,
            "input": self.input,
            "started_at": self.started_at,
            "duration_seconds": _rounded(self.duration_seconds),
            "execution_order": list(self.execution_order),
            "final_answer": None
            if self.final_agent is None
            else {"agent": self.final_agent, "output": self.final_answer},
            "agents": [result.to_document() for result in self.agents],
            "totals": {
                "agents": len(self.agents),
                "succeeded": self.count(AgentStatus.SUCCEEDED),
                "failed": self.count(AgentStatus.FAILED),
                "skipped": self.count(AgentStatus.SKIPPED),
                "cancelled": self.count(AgentStatus.CANCELLED),
                "usage": usage_document(_documented_total(self.agents)),
            },
            "stopped_reason": self.stopped_reason,
            "budget": None if self.budget is None else self.budget.to_document(),
            "error": self.error,
        }

    @classmethod
    def from_document(cls, document: Any) -> RunResult:
        """Read back a result document (the inverse of `to_document`).

        The document is checked against `schema/result.schema.json`, and its derived parts
        (final answer, totals, durations) against its agents; any mismatch raises
        `InvalidResultError` with one line saying where.
        """
        error = best_match(_result_validator().iter_errors(document))
        if error is not None:
            where = "/".join(str(step) for step in error.absolute_path) or "the document"
            raise InvalidResultError(f"not a result document: {where}: {_short(error.message)}")
        final = document["final_answer"]
        result = cls(
            run_id=document["run_id"],
            ensemble=document["ensemble"],
            input=document["input"],
            status=RunStatus(document["status"]),
            agents=[AgentResult.from_document(agent) for agent in document["agents"]],
            execution_order=list(document["execution_order"]),
            final_agent=None if final is None else final["agent"],
            started_at=document["started_at"],
            duration_seconds=document["duration_seconds"],
            source=document["source"],
            stopped_reason=document.get("stopped_reason"),
            budget=BudgetRecord.from_document(document.get("budget")),
            error=document.get("error"),
        )
        _check_derived(document, result)
        return result


def _check_derived(document: Mapping[str, Any], result: RunResult) -> None:
    """The parts of DOCUMENT computed from its agents must be what they compute to."""
    names = [agent.name for agent in result.agents]
    if result.final_agent is not None and result.final_agent not in names:
        raise InvalidResultError(
            f"not a result document: final_answer/agent: no agent named '{result.final_agent}'"
        )
    rebuilt = result.to_document()
    for key in ("final_answer", "totals"):
        if not _same(document[key], rebuilt[key]):
            raise InvalidResultError(f"not a result document: {key} does not match the agents")
    for given, computed in zip(document["agents"], rebuilt["agents"], strict=True):
        for key in ("duration_seconds", "usage"):
            if not _same(given[key], computed[key]):
                raise InvalidResultError(
                    f"not a result document: agent '{given['name']}': {key} does not match"
                )


def _same(given: Any, computed: Any) -> bool:
    """Equal, numbers to within rounding (documents round times to 1 µs, costs to 1e-8)."""
    if isinstance(given, dict) and isinstance(computed, dict):
        return given.keys() == computed.keys() and all(
            _same(given[key], computed[key]) for key in given
        )
    if isinstance(given, float) or isinstance(computed, float):
        return (
            isinstance(given, int | float)
            and isinstance(computed, int | float)
            and math.isclose(given, computed, rel_tol=1e-9, abs_tol=2e-6)
        )
    return bool(given == computed)


@cache
def _result_validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema("result"))


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


def _documented_total(agents: list[AgentResult]) -> Usage:
    """The sum of the agents' usage as their documents show it (costs rounded), so that the
    totals of a document read back are the totals it states."""
    total = Usage()
    for agent in agents:
        usage = agent.usage
        cost = None if usage.cost is None else round(usage.cost, 8)
        total = total + replace(usage, cost=cost)
    return total


def usage_document(usage: Usage) -> dict[str, Any]:
    return usage.to_document()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
