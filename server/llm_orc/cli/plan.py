"""`llm-orc plan ENSEMBLE`: the dependency graph, its levels and its critical path."""

from __future__ import annotations

import argparse

from llm_orc.cli.main import EXIT_OK
from llm_orc.config.workspace import Workspace
from llm_orc.execution.agent_settings import SettingsError, resolve_settings
from llm_orc.execution.graph import graph_of


def run_command(args: argparse.Namespace) -> int:
    workspace = Workspace.discover()
    ensemble = workspace.load_ensemble(args.ensemble)
    graph = graph_of(
        [a.name for a in ensemble.agents], {a.name: a.depends_on for a in ensemble.agents}
    )
    print(f"{ensemble.name}: {len(ensemble.agents)} agents")
    if ensemble.description:
        print(f"  {ensemble.description}")
    print()
    for index, level in enumerate(graph.levels()):
        print(f"level {index}:")
        for name in level:
            agent = ensemble.agent(name)
            try:
                settings = resolve_settings(agent, workspace.profiles.get(agent.profile_name))
                model = f"{settings.provider}/{settings.model} via '{agent.profile_name}'"
            except SettingsError as exc:
                model = str(exc)
            deps = f" <- {', '.join(agent.depends_on)}" if agent.depends_on else ""
            print(f"  {name}{deps}  [{model}]")
    path = graph.critical_path()
    print()
    print(f"critical path ({len(path)} agents): {' -> '.join(path)}")
    limit = ensemble.max_concurrency
    print(f"max concurrency: {limit if limit else 'unlimited'}")
    return EXIT_OK
