"""The typed events of a run. The CLI, the language server and the API all render this stream.

Every event carries the run id and a monotonic timestamp (seconds since the run started);
`to_dict()` gives the JSON form (`type` names the event) sent over the wire.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llm_orc.execution.result import RunResult


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one agent used and what they cost (USD)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cost + other.cost,
        )


@dataclass(frozen=True, slots=True)
class EnsembleStarted:
    run_id: str
    at: float
    ensemble: str
    agents: tuple[str, ...]
    type = "ensemble_started"


@dataclass(frozen=True, slots=True)
class AgentStarted:
    run_id: str
    at: float
    agent: str
    model: str
    provider: str
    profile: str
    attempt: int
    type = "agent_started"


@dataclass(frozen=True, slots=True)
class AgentTextDelta:
    run_id: str
    at: float
    agent: str
    text: str
    type = "agent_text_delta"


@dataclass(frozen=True, slots=True)
class AgentRetrying:
    """An attempt failed with a transient error; the next starts after `delay_seconds`."""

    run_id: str
    at: float
    agent: str
    attempt: int
    error: str
    delay_seconds: float
    type = "agent_retrying"


@dataclass(frozen=True, slots=True)
class AgentFallback:
    """The agent's own profile failed; it runs again on `to_profile`."""

    run_id: str
    at: float
    agent: str
    from_profile: str
    to_profile: str
    error: str
    type = "agent_fallback"


@dataclass(frozen=True, slots=True)
class AgentFinished:
    run_id: str
    at: float
    agent: str
    output: str
    usage: Usage
    duration_seconds: float
    type = "agent_finished"


@dataclass(frozen=True, slots=True)
class AgentFailed:
    run_id: str
    at: float
    agent: str
    error: str
    error_type: str
    type = "agent_failed"


@dataclass(frozen=True, slots=True)
class AgentSkipped:
    run_id: str
    at: float
    agent: str
    reason: str
    type = "agent_skipped"


@dataclass(frozen=True, slots=True)
class EnsembleFinished:
    run_id: str
    at: float
    result: RunResult
    type = "ensemble_finished"


RunEvent = (
    EnsembleStarted
    | AgentStarted
    | AgentTextDelta
    | AgentRetrying
    | AgentFallback
    | AgentFinished
    | AgentFailed
    | AgentSkipped
    | EnsembleFinished
)


def event_to_dict(event: RunEvent) -> dict[str, Any]:
    """The JSON form of an event: its fields plus `type`; a finished run carries its document."""
    if isinstance(event, EnsembleFinished):
        return {
            "type": event.type,
            "run_id": event.run_id,
            "at": event.at,
            "result": event.result.to_document(),
        }
    data = asdict(event)
    data["type"] = event.type
    return data
