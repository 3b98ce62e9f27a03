"""The typed events of a run (`schema/events.schema.json`). The CLI, the language server and the
API all render this stream.

Every event carries the run id, `seq` (1, 2, 3 … per run, in emission order, assigned by the
engine), `at` (monotonic seconds since the run started) and `time` (wall clock, ISO 8601 UTC with
milliseconds). `event_to_dict()` gives the JSON document (`type` names the event) sent over the
wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llm_orc.execution.result import RunResult
    from llm_orc.providers.base import TokenCounts


UNKNOWN_COST = "the cost is unknown"


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one agent used (all its attempts, failed and cancelled ones included) and what
    they cost in USD (None: unknown, e.g. a model without a price)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0
    cache_read_tokens: int = 0
    """Part of input_tokens read from the provider's prompt cache."""
    cache_write_tokens: int = 0
    """Part of input_tokens written to the provider's prompt cache."""
    reasoning_tokens: int = 0
    """Part of output_tokens spent reasoning."""
    estimated: bool = False
    """Some count was estimated: the provider did not report it."""
    cost_reason: str | None = None
    """Why `cost` is None (one line per distinct reason, joined by "; "); None when known."""

    def __post_init__(self) -> None:
        """An unknown cost always says so; a known one has no reason."""
        if self.cost is None and not self.cost_reason:
            object.__setattr__(self, "cost_reason", UNKNOWN_COST)
        elif self.cost is not None and self.cost_reason is not None:
            object.__setattr__(self, "cost_reason", None)

    @classmethod
    def of(cls, tokens: TokenCounts, cost: float | None, cost_reason: str | None = None) -> Usage:
        """The usage of one attempt: its tokens and their cost (or why it is unknown)."""
        return cls(
            tokens.input_tokens,
            tokens.output_tokens,
            cost,
            tokens.cache_read_tokens,
            tokens.cache_write_tokens,
            tokens.reasoning_tokens,
            tokens.estimated,
            cost_reason,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def cost_text(self) -> str:
        """The cost for display: `$0.0012`, or `cost unknown`."""
        return "cost unknown" if self.cost is None else f"${self.cost:.4f}"

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            None if self.cost is None or other.cost is None else self.cost + other.cost,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.estimated or other.estimated,
            _joined(self.cost_reason, other.cost_reason),
        )

    def to_document(self) -> dict[str, Any]:
        """The usage document shared by events and results."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "estimated": self.estimated,
            "cost_usd": None if self.cost is None else round(self.cost, 8),
            "cost_reason": self.cost_reason,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Usage:
        """The usage of a document (the inverse of `to_document`)."""
        return cls(
            doc["input_tokens"],
            doc["output_tokens"],
            doc["cost_usd"],
            doc["cache_read_tokens"],
            doc["cache_write_tokens"],
            doc["reasoning_tokens"],
            doc["estimated"],
            doc.get("cost_reason"),
        )


NO_USAGE = Usage()
"""Nothing used yet: an agent's usage before its first attempt (shared: Usage is immutable)."""


def _joined(first: str | None, second: str | None) -> str | None:
    """Both reasons, each once."""
    if first is None or second is None or second in first.split("; "):
        return first or second
    return f"{first}; {second}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """What every event carries: its run, its place in the run's stream, and when it happened."""

    run_id: str
    seq: int
    """1 for the run's first event, then consecutive, in emission order."""
    at: float
    """Seconds since the run started (monotonic clock)."""
    time: str
    """Wall-clock time, ISO 8601 UTC with milliseconds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnsembleStarted(Event):
    """Always the first event of a run."""

    ensemble: str
    agents: tuple[str, ...]
    """Every agent, in declaration order."""
    depends_on: Mapping[str, tuple[str, ...]]
    """Each agent's dependencies."""
    type = "ensemble_started"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentQueued(Event):
    """The agent is ready but waits for a concurrency slot: it has not started."""

    agent: str
    waiting_for: str
    """One human line: what it waits for, e.g. "a slot of provider 'local' (1 at a time)"."""
    type = "agent_queued"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStarted(Event):
    """The agent holds its slots and an attempt is generating."""

    agent: str
    model: str
    provider: str
    profile: str
    attempt: int
    """The agent's attempt in the run, 1-based: retries and the fallback's attempts count on."""
    type = "agent_started"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentTextDelta(Event):
    """A piece of text from one attempt of an agent."""

    agent: str
    attempt: int
    text: str
    type = "agent_text_delta"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRetrying(Event):
    """An attempt failed with a transient error; the next starts after `delay_seconds`."""

    agent: str
    attempt: int
    """The attempt that failed."""
    error: str
    delay_seconds: float
    type = "agent_retrying"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFallback(Event):
    """The agent's own profile failed; it runs again on `to_profile`."""

    agent: str
    from_profile: str
    to_profile: str
    error: str
    type = "agent_fallback"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFinished(Event):
    """The agent succeeded."""

    agent: str
    output: str
    usage: Usage
    duration_seconds: float
    type = "agent_finished"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFailed(Event):
    """The agent failed (after its retries and fallback)."""

    agent: str
    error: str
    error_type: str
    type = "agent_failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCancelled(Event):
    """The agent was running or queued when the run was cancelled, timed out or stopped."""

    agent: str
    reason: str
    type = "agent_cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSkipped(Event):
    """The agent never ran: a dependency did not succeed, or the run ended first."""

    agent: str
    reason: str
    type = "agent_skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnsembleFinished(Event):
    """Always the last event of a run, exactly once: it carries the result."""

    result: RunResult
    type = "ensemble_finished"


RunEvent = (
    EnsembleStarted
    | AgentQueued
    | AgentStarted
    | AgentTextDelta
    | AgentRetrying
    | AgentFallback
    | AgentFinished
    | AgentFailed
    | AgentCancelled
    | AgentSkipped
    | EnsembleFinished
)

AgentEvent = (
    AgentQueued
    | AgentStarted
    | AgentTextDelta
    | AgentRetrying
    | AgentFallback
    | AgentFinished
    | AgentFailed
    | AgentCancelled
    | AgentSkipped
)
"""The events about one agent (they have an `agent` field)."""


def event_to_dict(event: RunEvent) -> dict[str, Any]:
    """The JSON document of an event (`schema/events.schema.json`): `type` first, snake_case."""
    data: dict[str, Any] = {"type": event.type}
    for item in fields(event):
        value = getattr(event, item.name)
        if isinstance(value, Usage):
            value = value.to_document()
        elif isinstance(value, tuple):
            value = list(value)
        elif item.name == "depends_on":
            value = {name: list(deps) for name, deps in value.items()}
        elif item.name == "result":
            value = value.to_document()
        data[item.name] = value
    return data
