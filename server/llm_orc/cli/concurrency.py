"""What really runs in parallel: the concurrency an ensemble gets, per provider, and why."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from llm_orc.config.ensemble import Ensemble
from llm_orc.execution.agent_settings import AgentSettings


def concurrency_lines(
    ensemble: Ensemble,
    settings: Mapping[str, AgentSettings],
    provider_caps: Mapping[str, int | None],
    run_cap: int | None = None,
) -> list[str]:
    """Lines for `plan`: at most how many agents generate at once, then one line per provider
    and per capped profile with the agents it holds back. SETTINGS: each agent's resolved
    settings (agents that could not be resolved are left out); PROVIDER_CAPS: each provider's
    own limit (the local model: 1); RUN_CAP: --max-concurrency, else the ensemble's own."""
    cap = run_cap or ensemble.max_concurrency
    by_provider: dict[str, list[str]] = defaultdict(list)
    by_profile: dict[tuple[str, int], list[str]] = defaultdict(list)
    for name, agent in settings.items():
        by_provider[agent.provider].append(name)
        if agent.profile_max_concurrency:
            by_profile[(agent.profile, agent.profile_max_concurrency)].append(name)
    widest = 0
    details: list[str] = []
    for provider, agents in sorted(by_provider.items()):
        limit = provider_caps.get(provider)
        capped_by_profiles = sum(
            min(n, len(names)) for (_, n), names in by_profile.items() if set(names) <= set(agents)
        )
        free = [a for a in agents if not any(a in names for names in by_profile.values())]
        room = len(free) + capped_by_profiles
        if limit is not None and limit < room:
            widest += limit
            details.append(
                f"  provider '{provider}': {limit} at a time (its own limit, shared by every run "
                f"of the process) for {_names(agents)}"
            )
        else:
            widest += room
            details.append(f"  provider '{provider}': no limit of its own for {_names(agents)}")
    for (profile, limit), agents in sorted(by_profile.items()):
        details.append(
            f"  profile '{profile}': {limit} at a time (its max_concurrency) for {_names(agents)}"
        )
    if cap:
        details.append(f"  this run: {cap} at a time (max_concurrency of the ensemble or option)")
    else:
        details.append("  this run: no limit (no max_concurrency)")
    effective = min(widest, cap) if cap else widest
    noun = "agent generates" if effective == 1 else "agents generate"
    return [f"concurrency: at most {effective} {noun} at once", *details]


def _names(agents: list[str]) -> str:
    return ", ".join(agents) if len(agents) <= 6 else f"{', '.join(agents[:6])}, … ({len(agents)})"
