"""The result document of a run (`schema/result.schema.json`, version 1).

One shape serves the CLI's JSON output, the language server and the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from llm_orc.execution.events import Usage

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
    usage: Usage = field(default_factory=Usage)

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
            "duration_seconds": _rounded(self.duration_seconds),
            "usage": usage_document(self.usage),
        }
        if self.parsed is not None:
            doc["parsed"] = self.parsed
        return doc


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

    @property
    def final_answer(self) -> str | None:
        if self.final_agent is None:
            return None
        return self.agent(self.final_agent).output

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
                "usage": usage_document(self.usage),
            },
        }


def usage_document(usage: Usage) -> dict[str, Any]:
    return usage.to_document()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
