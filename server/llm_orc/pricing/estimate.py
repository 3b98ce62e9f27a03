"""A run's cost before it runs (`llm-orc plan`): at most what each agent's first attempt can
cost — its prices times its `max_tokens` ceiling, its input estimated at four characters a
token (the system prompt, the task, and each dependency's ceiling as text it receives).
Without a ceiling or a price there is no estimate, and the reason says which is missing."""

from __future__ import annotations

from dataclasses import dataclass

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.agent_settings import SettingsError, resolve_settings
from llm_orc.execution.graph import graph_of
from llm_orc.providers.base import estimate_tokens


@dataclass(frozen=True, slots=True)
class AgentEstimate:
    """At most what one attempt of an agent costs, or why that cannot be said."""

    agent: str
    cost: float | None
    input_tokens: int = 0
    output_tokens: int = 0
    reason: str | None = None
    pricing: str = ""


def estimate_run(
    ensemble: Ensemble, profiles: dict[str, ModelProfile], task: str | None
) -> list[AgentEstimate]:
    """Each agent's estimate, in graph order (TASK: the input; None: the default task)."""
    graph = graph_of(
        [a.name for a in ensemble.agents], {a.name: a.depends_on for a in ensemble.agents}
    )
    task_tokens = estimate_tokens(task if task is not None else ensemble.default_task or "")
    ceilings: dict[str, int] = {}
    out: list[AgentEstimate] = []
    for name in graph.order:
        agent = ensemble.agent(name)
        try:
            settings = resolve_settings(agent, profiles.get(agent.profile_name))
        except SettingsError as exc:
            out.append(AgentEstimate(name, None, reason=str(exc)))
            continue
        ceiling = settings.max_tokens
        if ceiling is not None:
            ceilings[name] = ceiling
        pricing = settings.pricing()
        input_tokens = (
            estimate_tokens(settings.system_prompt)
            + task_tokens
            + sum(ceilings.get(dep, 0) for dep in agent.depends_on)
        )
        if not pricing.known:
            out.append(AgentEstimate(name, None, reason=pricing.reason))
            continue
        if pricing.source == "free" or not any(pricing.per_million.values()):
            out.append(AgentEstimate(name, 0.0, input_tokens, ceiling or 0, None, "free"))
            continue
        if ceiling is None:
            out.append(
                AgentEstimate(
                    name,
                    None,
                    reason=f"no max_tokens on the agent or profile '{settings.profile}': "
                    "its output has no ceiling",
                )
            )
            continue
        cost = pricing.cost(input_tokens, ceiling)
        out.append(AgentEstimate(name, cost, input_tokens, ceiling, None, pricing.describe()))
    return out
