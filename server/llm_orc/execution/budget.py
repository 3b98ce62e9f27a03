"""A run's budget (`max_cost`): what its agents spent, and whether the run must stop.

Spent is the known cost of every attempt so far, succeeded, failed and cancelled alike. An
agent whose cost is unknown (a model without a price) counts as 0: the run goes on, the
validator warns beforehand, and the result lists the agent under `unknown_cost_agents`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from llm_orc.execution.events import Usage

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


def spending(limit: float, usages: Iterable[tuple[str, Usage]]) -> BudgetRecord:
    """The budget of LIMIT USD against the agents' USAGES (name, usage) so far."""
    spent = 0.0
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
