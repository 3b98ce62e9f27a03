"""Independent agents: N agents with no dependencies, each taking a fixed simulated latency L,
no concurrency cap. An ideal scheduler finishes in L whatever N is.

Figures per N:
- wall / L: the whole `llm_orc.run` (validation of the code-built ensemble + execution) over L;
- overhead per agent: (wall - L) / N;
- peak memory per agent: tracemalloc peak over the baseline taken before the ensemble is
  built, divided by N (a separate run: tracemalloc slows everything down, so it is never on
  during a timed run);
- events: how many events the run emitted;
- bare asyncio floor / L: the same N sleeps as plain asyncio tasks, for reference.

The overhead note splits (wall - L) into validation (`prepare_run`), the time until the last
agent started (launching N tasks; the first one's start shows the run's own set-up), and the
rest (finishing them and building the result), and says how long garbage collection paused
the run. Each agent's finishing work comes L after its start, so finishing that costs more
per agent than starting shows up as a longer rest: the wall is L plus the slower of the two.

At the largest N a third run takes a tracemalloc snapshot while every agent is in flight,
and records the top allocation sites, to show where per-agent memory goes.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tracemalloc
from pathlib import Path

from harness import BenchmarkResult, RunTiming, asyncio_floor, median, time_run
from llm_orc.config.ensemble import Agent, Ensemble
from llm_orc.config.profiles import ModelProfile

NAME = "fanout"
TITLE = "Independent agents (fan-out, no concurrency cap)"

SIZES = (10, 100, 1000)
TARGET_WALL_RATIO = 1.05
TARGET_KB_PER_AGENT = 50.0
PUBLIC_CLAIM_KB_PER_AGENT = 200.0


def _profiles(latency: float) -> dict[str, ModelProfile]:
    # One streamed piece per reply: the figure is the orchestration, not the streaming.
    options = {"latency_seconds": latency, "chunks": 1}
    return {"sim": ModelProfile(name="sim", model="m", provider="scripted", options=options)}


def _ensemble(n: int) -> Ensemble:
    agents = tuple(Agent(name=f"agent-{i:04d}", model_profile="sim") for i in range(n))
    return Ensemble(name=f"fanout-{n}", default_task="Say ok.", agents=agents)


def _kb(nbytes: float) -> float:
    return nbytes / 1024


async def _memory(n: int, latency: float) -> dict[str, float]:
    """Peak traced memory (bytes over the baseline) while building, preparing and running."""
    from llm_orc.execution.runner import prepare_run

    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        ensemble = _ensemble(n)
        profiles = _profiles(latency)
        built, build_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        execution = prepare_run(
            ensemble, None, profiles=profiles, emit=lambda _: None, options=None
        )
        prepared, prepare_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        await execution.execute()
        retained, execute_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "peak": max(build_peak, prepare_peak, execute_peak) - baseline,
        "build_peak": build_peak - baseline,
        "built": built - baseline,
        "prepare_peak": prepare_peak - baseline,
        "prepared": prepared - baseline,
        "execute_peak": execute_peak - baseline,
        "retained_after_run": retained - baseline,
    }


def _site(frame: tracemalloc.Frame) -> str:
    path = Path(frame.filename)
    for root in sorted({Path(p) for p in sys.path if p}, key=lambda p: -len(p.parts)):
        if path.is_relative_to(root):
            path = path.relative_to(root)
            break
    return f"{path}:{frame.lineno}"


async def _allocation_sites(n: int, latency: float, top: int = 12) -> list[dict[str, object]]:
    """The top allocation sites (by live size) while all N agents are waiting on the model."""
    from llm_orc.execution.runner import prepare_run

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        execution = prepare_run(
            _ensemble(n), None, profiles=_profiles(latency), emit=lambda _: None, options=None
        )
        runner = asyncio.create_task(execution.execute())
        await asyncio.sleep(latency / 2)
        during = tracemalloc.take_snapshot()
        await runner
    finally:
        tracemalloc.stop()
    stats = during.compare_to(before, "lineno")
    return [
        {
            "site": _site(stat.traceback[0]),
            "kb_per_agent": round(_kb(stat.size_diff) / n, 3),
            "blocks_per_agent": round(stat.count_diff / n, 2),
        }
        for stat in stats[:top]
    ]


async def _measure(result: BenchmarkResult) -> None:
    latency = result.parameters["latency_seconds"]
    repeats = result.parameters["repeats"]
    await time_run(_ensemble(10), _profiles(0.0))  # warm-up: first-use imports and caches
    samples: dict[str, list[dict[str, float]]] = {}
    for n in SIZES:
        timings: list[RunTiming] = [
            await time_run(_ensemble(n), _profiles(latency)) for _ in range(repeats)
        ]
        wall = median([t.wall for t in timings])
        execute = median([t.execute for t in timings])
        prepare = median([t.prepare for t in timings])
        launch = median([t.last_start for t in timings])
        first = median([t.first_start for t in timings])
        paused = median([t.gc_seconds for t in timings])
        collections = median([t.gc_collections for t in timings])
        names = {f"agent-{i:04d}": () for i in range(n)}
        floor = median(
            [await asyncio_floor(names, dict.fromkeys(names, latency)) for _ in range(repeats)]
        )
        memory = await _memory(n, result.parameters["memory_latency_seconds"])
        statuses = sorted({t.status for t in timings})
        last = n == SIZES[-1]
        result.add(
            f"N={n}: wall / L",
            wall / latency,
            "x",
            target=TARGET_WALL_RATIO if last else None,
            note=f"median of {repeats}; wall {wall:.3f} s",
        )
        result.add(
            f"N={n}: orchestration overhead per agent",
            (wall - latency) / n * 1e6,
            "µs",
            note=f"prepare (validation) {prepare * 1e3:.1f} ms + last agent started "
            f"{launch * 1e3:.1f} ms into execute (the first {first * 1e3:.1f} ms) + the rest "
            f"{(execute - latency - launch) * 1e3:.1f} ms; garbage collection paused the run "
            f"{paused * 1e3:.1f} ms ({collections:g} collections)",
        )
        result.add(
            f"N={n}: bare asyncio floor / L",
            floor / latency,
            "x",
            note="the same N sleeps as bare asyncio tasks: the event loop's own cost",
        )
        result.add(
            f"N={n}: peak memory per agent",
            _kb(memory["peak"]) / n,
            "KB",
            target=TARGET_KB_PER_AGENT if last else None,
            note=f"peak {_kb(memory['peak']):.0f} KB over baseline; "
            f"public llm-orc claims < {PUBLIC_CLAIM_KB_PER_AGENT:g} KB",
        )
        result.add(f"N={n}: events", timings[-1].events, "events")
        samples[str(n)] = [
            {
                "wall": round(t.wall, 5),
                "prepare": round(t.prepare, 5),
                "execute": round(t.execute, 5),
                "last_agent_start": round(t.last_start, 5),
                "first_agent_start": round(t.first_start, 5),
                "gc_paused": round(t.gc_seconds, 5),
                "gc_collections": t.gc_collections,
            }
            for t in timings
        ]
        result.details[f"memory_kb_N={n}"] = {k: round(_kb(v), 1) for k, v in memory.items()}
        result.details[f"status_N={n}"] = statuses
    result.details["samples_seconds"] = samples
    n = SIZES[-1]
    result.details[f"top_allocation_sites_in_flight_N={n}"] = await _allocation_sites(
        n, result.parameters["memory_latency_seconds"]
    )


def run(quick: bool) -> BenchmarkResult:
    result = BenchmarkResult(
        NAME,
        TITLE,
        parameters={
            "sizes": list(SIZES),
            # One second is a fast real model call. The ratio to L depends on L; the overhead per
            # agent (about 30 µs here) does not, so both are recorded.
            "latency_seconds": 0.1 if quick else 1.0,
            # All N agents must be in flight at once despite tracemalloc's slowdown.
            "memory_latency_seconds": 0.5 if quick else 2.0,
            "repeats": 1 if quick else 3,
            "provider": "scripted, chunks=1",
            "max_concurrency": None,
        },
    )
    asyncio.run(_measure(result))
    return result
