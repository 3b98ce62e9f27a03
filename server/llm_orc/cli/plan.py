"""`llm-orc plan ENSEMBLE`: the dependency graph, its levels and its critical path."""

from __future__ import annotations

import argparse

from llm_orc.cli.concurrency import concurrency_lines
from llm_orc.cli.main import EXIT_OK
from llm_orc.cli.reporting import load_for_run
from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.config.workspace import Workspace
from llm_orc.execution.agent_settings import AgentSettings, SettingsError, resolve_settings
from llm_orc.execution.graph import graph_of
from llm_orc.pricing.estimate import estimate_run
from llm_orc.providers.registry import provider_class


def run_command(args: argparse.Namespace) -> int:
    workspace = Workspace.discover()
    ensemble = load_for_run(workspace, args.ensemble)
    graph = graph_of(
        [a.name for a in ensemble.agents], {a.name: a.depends_on for a in ensemble.agents}
    )
    print(f"{ensemble.name}: {len(ensemble.agents)} agents")
    if ensemble.description:
        print(f"  {ensemble.description}")
    print()
    resolved: dict[str, AgentSettings] = {}
    for index, level in enumerate(graph.levels()):
        print(f"level {index}:")
        for name in level:
            agent = ensemble.agent(name)
            try:
                settings = resolve_settings(agent, workspace.profiles.get(agent.profile_name))
                model = f"{settings.provider}/{settings.model} via '{agent.profile_name}'"
                resolved[name] = settings
            except SettingsError as exc:
                model = str(exc)
            deps = f" <- {', '.join(agent.depends_on)}" if agent.depends_on else ""
            print(f"  {name}{deps}  [{model}]")
    path = graph.critical_path()
    print()
    print(f"critical path ({len(path)} agents): {' -> '.join(path)}")
    caps = {
        provider: _provider_cap(provider) for provider in {s.provider for s in resolved.values()}
    }
    for line in concurrency_lines(ensemble, resolved, caps):
        print(line)
    print()
    print_cost_estimate(ensemble, workspace.profiles)
    return EXIT_OK


def print_cost_estimate(ensemble: Ensemble, profiles: dict[str, ModelProfile]) -> None:
    """At most what one attempt of each agent costs, and the total (`pricing/estimate.py`)."""
    estimates = estimate_run(ensemble, profiles, None)
    print("cost estimate (at most, one attempt each; input at ~4 characters a token):")
    for item in estimates:
        if item.cost is None:
            print(f"  {item.agent}: no estimate: {item.reason}")
        elif item.pricing == "free":
            print(f"  {item.agent}: $0 (free)")
        else:
            print(
                f"  {item.agent}: <= ${item.cost:.4f} ({item.input_tokens} in + "
                f"{item.output_tokens} out tokens at {item.pricing})"
            )
    known = sum(item.cost for item in estimates if item.cost is not None)
    unknown = [item.agent for item in estimates if item.cost is None]
    total = f"total: <= ${known:.4f}"
    if unknown:
        total += f", plus {len(unknown)} agent(s) without an estimate ({', '.join(unknown)})"
    print(total)
    if ensemble.max_cost is not None:
        fits = not unknown and known < ensemble.max_cost
        verdict = "the estimate stays below it" if fits else "the run may reach it and stop"
        print(f"max_cost: ${ensemble.max_cost:g}: {verdict}")


def _provider_cap(name: str) -> int | None:
    """The provider's own limit on generations at once (the local model: 1)."""
    cls = provider_class(name)
    return None if cls is None else getattr(cls, "default_max_concurrency", None)
