"""A run's budget (`max_cost`): what its agents spent, and whether the run must stop.

Spent is the known cost of every attempt so far, succeeded, failed and cancelled alike, plus an
estimate of the attempts still streaming (`BudgetMeter`): as their text arrives, its output
tokens estimated at four characters a token (`estimate_tokens`, as for a server that reports
no usage) times the model's output price, plus the prompt's input tokens estimated the same way
times its input price. When an attempt ends its real usage replaces the estimate. An agent
whose cost is unknown (a model without a price) counts as 0: the run goes on, the validator
warns beforehand, and the result lists the agent under `unknown_cost_agents`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llm_orc.execution.events import Usage
from llm_orc.providers.base import GenerationRequest, estimate_tokens, tokens_for_chars

if TYPE_CHECKING:
    from llm_orc.pricing.cost import Pricing

BUDGET = "budget"
"""The result's `stopped_reason` when the budget stopped the run."""


def check_max_cost(value: object, name: str) -> None:
    """Refuse anything but None or a finite positive number of US dollars."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a positive number of US dollars or None, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of US dollars or None, not {value!r}")


@dataclass(frozen=True, slots=True)
class BudgetRecord:
    """The budget as the result reports it."""

    max_cost_usd: float
    spent_usd: float
    unknown_cost_agents: tuple[str, ...] = ()

    @property
    def reached(self) -> bool:
        return self.spent_usd >= self.max_cost_usd

    def to_document(self) -> dict[str, Any]:
        return {
            "max_cost_usd": self.max_cost_usd,
            "spent_usd": round(self.spent_usd, 8),
            "unknown_cost_agents": list(self.unknown_cost_agents),
        }

    @classmethod
    def from_document(cls, doc: Any) -> BudgetRecord | None:
        if doc is None:
            return None
        return cls(doc["max_cost_usd"], doc["spent_usd"], tuple(doc["unknown_cost_agents"]))


def spending(
    limit: float, usages: Iterable[tuple[str, Usage]], in_flight: float = 0.0
) -> BudgetRecord:
    """The budget of LIMIT USD against the agents' USAGES (name, usage) so far, plus IN_FLIGHT
    (the estimated cost of the attempts still streaming)."""
    spent = in_flight
    unknown: list[str] = []
    for name, usage in usages:
        if usage.cost is None:
            unknown.append(name)
        else:
            spent += usage.cost
    return BudgetRecord(limit, spent, tuple(unknown))


def stop_reason(record: BudgetRecord) -> str:
    """The one line given to the agents the budget stops."""
    return (
        f"budget: the run's cost reached its max_cost of ${record.max_cost_usd:g} "
        f"(${record.spent_usd:.6g} spent)"
    )


class BudgetMeter:
    """A run's budget of LIMIT USD, which sees its streaming attempts' estimated cost grow.

    ON_REACHED is called (once, until the next `record`) when the spent cost last recorded plus
    the attempts' estimates reaches the limit; the scheduler then checks the budget (`record`)
    as it does when an attempt ends.
    """

    __slots__ = ("_attempts", "_known", "_limit", "_on_reached", "_signalled", "running")

    def __init__(self, limit: float, on_reached: Callable[[], None]) -> None:
        self._limit = limit
        self._on_reached = on_reached
        self._known = 0.0
        self._signalled = False
        self._attempts: set[AttemptCost] = set()
        self.running = 0.0
        """The attempts' estimates summed as they grow (`total` is the exact sum)."""

    def attempt(self, request: GenerationRequest, pricing: Pricing) -> AttemptCost | None:
        """The estimate of one attempt of REQUEST priced by PRICING (None: it costs nothing
        known, so there is nothing to watch)."""
        if not pricing.known:
            return None
        rates = pricing.per_million
        input_rate = rates.get("input", 0.0) / 1_000_000
        output_rate = rates.get("output", 0.0) / 1_000_000
        if not input_rate and not output_rate:
            return None
        estimate = AttemptCost(self, request, input_rate, output_rate)
        self._attempts.add(estimate)
        return estimate

    @property
    def total(self) -> float:
        """The estimated cost of the attempts streaming now."""
        return sum(attempt.cost for attempt in self._attempts)

    def record(self, usages: Iterable[tuple[str, Usage]]) -> BudgetRecord:
        """The budget against the agents' USAGES (name, usage: the ended attempts' real cost)
        and the estimates of the attempts streaming now."""
        in_flight = self.total
        record = spending(self._limit, usages, in_flight)
        self._known = record.spent_usd - in_flight
        self._signalled = False
        return record

    def grew(self, by: float) -> None:
        """An attempt's estimate grew BY USD."""
        self.running += by
        if not self._signalled and self._known + self.running >= self._limit:
            self._signalled = True
            self._on_reached()

    def ended(self, attempt: AttemptCost) -> None:
        """ATTEMPT ended: its estimate no longer counts."""
        self._attempts.discard(attempt)
        self.running = self.total if self._attempts else 0.0


class AttemptCost:
    """One streaming attempt's estimated cost: the prompt's input once text comes, plus the
    output streamed so far (`streamed` is called per text delta, so it is kept small)."""

    __slots__ = ("_chars", "_input_rate", "_meter", "_output_rate", "_request", "_tokens", "cost")

    def __init__(
        self, meter: BudgetMeter, request: GenerationRequest, input_rate: float, output_rate: float
    ) -> None:
        self._meter = meter
        self._request = request
        self._input_rate = input_rate
        self._output_rate = output_rate
        self._chars = 0
        self._tokens = 0
        self.cost = 0.0

    def streamed(self, piece: str) -> None:
        """Count PIECE of the reply; the meter hears when the estimate grows."""
        chars = self._chars = self._chars + len(piece)
        tokens = tokens_for_chars(chars)  # the text so far, without joining it
        if tokens == self._tokens:
            return
        grown = (tokens - self._tokens) * self._output_rate
        if self._tokens == 0:  # the first text: the prompt has been read
            prompt = self._request.system_prompt + self._request.prompt
            grown += estimate_tokens(prompt) * self._input_rate
        self._tokens = tokens
        self.cost += grown
        self._meter.grew(grown)

    def end(self) -> None:
        """The attempt ended: its real usage replaces the estimate."""
        self._meter.ended(self)
