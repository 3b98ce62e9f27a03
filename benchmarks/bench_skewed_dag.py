"""Skewed DAG: chains of agents whose slow steps fall on different levels.

CHAINS chains run side by side through LEVELS levels; each agent depends on exactly ONE agent
of the level before (its predecessor in its chain). The chains cross lanes: chain c sits in
lane (c + k) mod CHAINS at level k, so lane i's agent at level k depends on lane i-1's agent
at level k-1. Chain c is slow at the levels k with k mod CHAINS == c, fast elsewhere, so
EVERY level holds one slow agent while every chain has only LEVELS / CHAINS slow steps.

- critical path: the longest latency-weighted dependency path (what an ideal scheduler takes);
- phase-barrier time: the sum over levels of the slowest latency in the level (what a
  level-by-level scheduler takes: it waits for the slow agent of every level);
- measured wall time of the whole `llm_orc.run`.

Figures: wall / critical path (target <= 1.05) and phase-barrier time / wall (the speed-up
over a phase-by-phase scheduler; its ideal is phase time / critical path). For reference, the
same DAG as bare asyncio tasks: each hop costs the event loop a little (timer rounding), which
no scheduler can avoid.
"""

from __future__ import annotations

import asyncio

from harness import BenchmarkResult, asyncio_floor, median, time_run
from llm_orc.config.ensemble import Agent, Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.graph import graph_of

NAME = "skewed_dag"
TITLE = "Skewed DAG (crossing fast/slow chains)"

CHAINS = 4
LEVELS = 8
TARGET_WALL_OVER_CRITICAL = 1.05


def _name(level: int, lane: int) -> str:
    return f"L{level}-lane{lane}"


def _shape(fast: float, slow: float) -> tuple[Ensemble, dict[str, float]]:
    """The ensemble and each agent's latency."""
    agents: list[Agent] = []
    latency: dict[str, float] = {}
    for level in range(LEVELS):
        for chain in range(CHAINS):
            lane = (chain + level) % CHAINS
            name = _name(level, lane)
            depends_on = () if level == 0 else (_name(level - 1, (lane - 1) % CHAINS),)
            agents.append(Agent(name=name, model_profile="sim", depends_on=depends_on))
            latency[name] = slow if level % CHAINS == chain else fast
    agents.sort(key=lambda a: a.name)  # declaration order must not matter
    ensemble = Ensemble(name="skewed-dag", default_task="Go.", agents=tuple(agents))
    return ensemble, latency


def _profiles(latency: dict[str, float]) -> dict[str, ModelProfile]:
    options = {"latency_by_agent": latency, "chunks": 1}
    return {"sim": ModelProfile(name="sim", model="m", provider="scripted", options=options)}


async def _measure(result: BenchmarkResult) -> None:
    fast = result.parameters["fast_latency_seconds"]
    slow = result.parameters["slow_latency_seconds"]
    ensemble, latency = _shape(fast, slow)
    graph = graph_of(
        [a.name for a in ensemble.agents], {a.name: a.depends_on for a in ensemble.agents}
    )
    path = graph.critical_path(latency)
    critical = sum(latency[name] for name in path)
    levels = graph.levels()
    phase_time = sum(max(latency[name] for name in level) for level in levels)
    profiles = _profiles(latency)

    await time_run(_shape(0.0, 0.0)[0], _profiles({}))  # warm-up
    timings = [await time_run(ensemble, profiles) for _ in range(result.parameters["repeats"])]
    wall = median([t.wall for t in timings])
    floor = median([await asyncio_floor(graph.depends_on, latency) for _ in timings])

    result.add("critical path (from latencies)", critical, "s")
    result.add("phase-barrier time (sum of per-level max)", phase_time, "s")
    result.add("measured wall", wall, "s", note=f"median of {len(timings)}")
    result.add(
        "wall / critical path",
        wall / critical,
        "x",
        target=TARGET_WALL_OVER_CRITICAL,
        note=f"{(wall - critical) * 1e3:.1f} ms over the critical path",
    )
    result.add(
        "phase-barrier time / wall (speed-up over phases)",
        phase_time / wall,
        "x",
        note=f"ideal {phase_time / critical:.2f}x",
    )
    result.add(
        "bare asyncio floor / critical path",
        floor / critical,
        "x",
        note="the same DAG as plain asyncio tasks: the event loop's own cost per hop",
    )
    result.details["critical_path"] = path
    result.details["levels"] = len(levels)
    result.details["agents"] = len(ensemble.agents)
    result.details["status"] = sorted({t.status for t in timings})
    result.details["samples_seconds"] = [round(t.wall, 5) for t in timings]


def run(quick: bool) -> BenchmarkResult:
    scale = 0.25 if quick else 1.0
    result = BenchmarkResult(
        NAME,
        TITLE,
        parameters={
            "chains": CHAINS,
            "levels": LEVELS,
            "fast_latency_seconds": 0.05 * scale,
            "slow_latency_seconds": 0.4 * scale,
            "repeats": 1 if quick else 3,
            "provider": "scripted, chunks=1",
        },
    )
    asyncio.run(_measure(result))
    return result
