"""`llm-orc plan ENSEMBLE`: the dependency graph, its levels and its critical path."""

from __future__ import annotations

import argparse

from llm_orc.cli.concurrency import concurrency_lines
from llm_orc.cli.main import EXIT_OK
from llm_orc.cli.reporting import load_for_run
from llm_orc.config.workspace import Workspace
from llm_orc.execution.agent_settings import AgentSettings, SettingsError, resolve_settings
from llm_orc.execution.graph import graph_of
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
    return EXIT_OK


def _provider_cap(name: str) -> int | None:
    """The provider's own limit on generations at once (the local model: 1)."""
    cls = provider_class(name)
    return None if cls is None else getattr(cls, "default_max_concurrency", None)
