"""unknown-cost (warning): an ensemble with a `max_cost` whose agents include one whose cost
cannot be known (a model without a price). The budget counts such an agent as 0, so it could
spend without the budget seeing it: the warning says so, and which price to set.

Telling needs the price table, whose import takes about half a second once per process; a
caller that must not wait (the language server, on a keystroke) can have the agents that need
it left out until the table is loaded, and is told so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llm_orc.validation.diagnostics import Diagnostic, Severity
from llm_orc.validation.graph_checks import AgentView
from llm_orc.validation.yaml_index import SourceMap

if TYPE_CHECKING:
    from llm_orc.config.profiles import ModelProfile


def budget_diagnostics(
    data: Any,
    agents: Sequence[AgentView],
    source: SourceMap,
    profiles: Mapping[str, ModelProfile],
    *,
    wait_for_prices: bool = True,
) -> tuple[list[Diagnostic], bool]:
    """The unknown-cost warnings, and whether some agent was left out because it needs the
    price table, which is not loaded yet and WAIT_FOR_PRICES is False."""
    max_cost = data.get("max_cost") if isinstance(data, dict) else None
    if isinstance(max_cost, bool) or not isinstance(max_cost, int | float):
        return [], False
    from llm_orc.pricing.cost import PRICE_FIELDS, needs_table, pricing_for
    from llm_orc.pricing.table import table_loaded

    waits = not wait_for_prices and not table_loaded()
    deferred = False
    out: list[Diagnostic] = []
    for agent in agents:
        body = agent.body
        name = body.get("model_profile")
        profile = profiles.get(name if isinstance(name, str) else "default")
        model = _text(body.get("model")) or (profile.model if profile else None)
        provider = _text(body.get("provider")) or (profile.provider if profile else None)
        if model is None or provider is None:
            continue  # other checks report it
        own = profile is not None and (model, provider) == (profile.model, profile.provider)
        prices = {
            kind: getattr(profile, field) if own else None for kind, field in PRICE_FIELDS.items()
        }
        if waits and needs_table(provider, prices):
            deferred = True
            continue
        pricing = pricing_for(
            provider,
            model,
            None if profile is None else profile.base_url,
            prices,
            profile=profile.name if profile else "",
        )
        if pricing.known:
            continue
        key = "model_profile" if "model_profile" in body else "name"
        text = (
            f"agent '{agent.name}': its cost is unknown ({pricing.reason}), so max_cost counts "
            "it as 0"
        )
        out.append(
            Diagnostic("unknown-cost", text, source.key_range(agent.path(key)), Severity.WARNING)
        )
    return out, deferred


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
