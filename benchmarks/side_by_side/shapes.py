"""The two ensembles both tools run, as project files in the public llm-orc's format (which is
ours too): a skewed DAG and N independent agents, each agent's latency fixed by its profile.

- Skewed DAG: CHAINS chains through LEVELS levels; each agent depends on ONE agent of the level
  before, the chains cross lanes (chain c sits in lane (c + k) mod CHAINS at level k), and chain
  c is slow at the levels k with k mod CHAINS == c — with two chains, fast and slow alternate
  along each chain and every level holds one slow agent. An ideal scheduler takes the critical
  path; one that runs level by level (phases) waits for the slow agent of every level.
- Fan-out: N agents with no dependencies, one latency.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from llm_orc.execution.graph import DependencyGraph, graph_of
from side_by_side.latency_server import model_for


@dataclass(frozen=True, slots=True)
class ShapeAgent:
    name: str
    latency: float
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Shape:
    """An ensemble's agents with their latencies, and what they imply for the wall time."""

    name: str
    description: str
    agents: tuple[ShapeAgent, ...]

    def _graph(self) -> DependencyGraph:
        return graph_of([a.name for a in self.agents], {a.name: a.depends_on for a in self.agents})

    @property
    def latencies(self) -> dict[str, float]:
        return {a.name: a.latency for a in self.agents}

    def critical_path(self) -> tuple[list[str], float]:
        """The longest latency-weighted dependency path and its length in seconds: the wall
        time of an ideal scheduler."""
        path = self._graph().critical_path(self.latencies)
        return path, sum(self.latencies[name] for name in path)

    def phase_time(self) -> float:
        """The sum over dependency levels of the level's slowest agent: the wall time of a
        scheduler that starts a level only when the whole level before it has finished."""
        levels = self._graph().levels()
        return sum(max(self.latencies[name] for name in level) for level in levels)


def lane_name(level: int, lane: int) -> str:
    return f"L{level}-lane{lane}"


def skewed_dag(chains: int, levels: int, fast: float, slow: float) -> Shape:
    agents = []
    for level in range(levels):
        for chain in range(chains):
            lane = (chain + level) % chains
            depends_on = () if level == 0 else (lane_name(level - 1, (lane - 1) % chains),)
            latency = slow if level % chains == chain else fast
            agents.append(ShapeAgent(lane_name(level, lane), latency, depends_on))
    agents.sort(key=lambda a: a.name)  # declaration order must not matter
    description = (
        f"{chains} crossing chains through {levels} levels, {slow:g} s and {fast:g} s agents "
        "alternating along each chain"
    )
    return Shape("skewed-dag", description, tuple(agents))


def fan_out(agents: int, latency: float) -> Shape:
    members = tuple(ShapeAgent(f"agent-{i:03d}", latency) for i in range(agents))
    return Shape(f"fan-out-{agents}", f"{agents} independent agents", members)


def profile_name(latency: float) -> str:
    return "lat-" + f"{latency:g}".replace(".", "_")


def ensemble_yaml(shape: Shape) -> str:
    """The ensemble file: every agent on the profile of its latency, a short system prompt."""
    agents = []
    for agent in shape.agents:
        entry: dict[str, object] = {
            "name": agent.name,
            "model_profile": profile_name(agent.latency),
            "system_prompt": f"You are {agent.name}. Answer in one line.",
        }
        if agent.depends_on:
            entry["depends_on"] = list(agent.depends_on)
        agents.append(entry)
    document = {"name": shape.name, "description": shape.description, "agents": agents}
    return yaml.safe_dump(document, sort_keys=False)


def profiles(latencies: set[float], base_url: str) -> dict[str, dict[str, object]]:
    """One `openai-compatible` profile per latency, all on the one server at BASE_URL."""
    return {
        profile_name(latency): {
            "model": model_for(latency),
            "provider": "openai-compatible",
            "base_url": base_url,
        }
        for latency in sorted(latencies)
    }
