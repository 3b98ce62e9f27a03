"""Result records shared by the benchmarks (a figure, its target, whether it was met), and the
one primitive they all time: a run of an ensemble.

Every benchmark module exposes `NAME`, `TITLE` and `run(quick: bool) -> BenchmarkResult`;
`run.py` collects the results and writes them out. Nothing here asserts: a missed target is
recorded, never raised.

Importing this module makes the test-only `scripted` provider available (tests/plugins, on
`sys.path` and `PYTHONPATH` for the processes the benchmarks start): the benchmarks use it, and
no install of llm-orc contains it.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from llm_orc.config.ensemble import Ensemble
    from llm_orc.config.profiles import ModelProfile
    from llm_orc.execution.scheduler import RunOptions

Comparison = Literal["<=", ">="]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support.plugins import use_test_plugins  # noqa: E402  (needs the line above)

use_test_plugins()


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured number. With a target, `met` says whether the number satisfies it."""

    name: str
    value: float
    unit: str
    target: float | None = None
    comparison: Comparison = "<="
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        if self.comparison == "<=":
            return self.value <= self.target
        return self.value >= self.target

    @property
    def target_text(self) -> str:
        return "" if self.target is None else f"{self.comparison} {self.target:g}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


@dataclass(slots=True)
class BenchmarkResult:
    """What one benchmark measured: its parameters, its figures, and free-form details
    (raw samples, breakdowns) for diagnosing a regression."""

    name: str
    title: str
    parameters: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration_seconds: float = 0.0

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        target: float | None = None,
        comparison: Comparison = "<=",
        note: str = "",
    ) -> Figure:
        figure = Figure(name, value, unit, target, comparison, note)
        self.figures.append(figure)
        return figure

    @property
    def missed(self) -> list[Figure]:
        return [f for f in self.figures if f.met is False]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "parameters": self.parameters,
            "figures": [f.to_dict() for f in self.figures],
            "details": self.details,
            "error": self.error,
            "duration_seconds": round(self.duration_seconds, 3),
        }


def median(samples: list[float]) -> float:
    return statistics.median(samples)


@dataclass(frozen=True, slots=True)
class RunTiming:
    """One timed run: `wall` = prepare + execute, i.e. what `await llm_orc.run(...)` costs."""

    wall: float
    prepare: float
    execute: float
    events: int
    status: str
    last_start: float
    """When the last agent started, in seconds since `execute` began (the run's own clock)."""
    first_start: float = 0.0
    """When the first agent started, on the same clock (before it: setting up the run)."""
    gc_seconds: float = 0.0
    """How long the garbage collector paused the run (prepare and execute)."""
    gc_collections: int = 0


async def time_run(
    ensemble: Ensemble,
    profiles: Mapping[str, ModelProfile],
    options: RunOptions | None = None,
) -> RunTiming:
    """Run ENSEMBLE the way `llm_orc.run` does (`prepare_run` then `execute`), timing both
    steps, counting the events it emits (counted, not kept), noting when the first and the last
    agent started, and how long garbage collection paused it (`gc.callbacks`)."""
    from llm_orc.execution.events import AgentStarted, RunEvent
    from llm_orc.execution.runner import prepare_run

    events = 0
    first_start: float | None = None
    last_start = 0.0

    def count(event: RunEvent) -> None:
        nonlocal events, first_start, last_start
        events += 1
        if type(event) is AgentStarted:
            last_start = event.at
            if first_start is None:
                first_start = event.at

    paused = 0.0
    collections = 0
    began = 0.0

    def collecting(phase: str, info: dict[str, Any]) -> None:
        nonlocal paused, collections, began
        if phase == "start":
            began = time.perf_counter()
        else:
            paused += time.perf_counter() - began
            collections += 1

    gc.collect()
    gc.callbacks.append(collecting)
    try:
        t0 = time.perf_counter()
        execution = prepare_run(ensemble, None, profiles=profiles, emit=count, options=options)
        t1 = time.perf_counter()
        result = await execution.execute()
        t2 = time.perf_counter()
    finally:
        gc.callbacks.remove(collecting)
    return RunTiming(
        t2 - t0,
        t1 - t0,
        t2 - t1,
        events,
        str(result.status),
        last_start,
        first_start or 0.0,
        paused,
        collections,
    )


async def asyncio_floor(
    depends_on: Mapping[str, tuple[str, ...]], latency: Mapping[str, float]
) -> float:
    """Wall seconds of the same DAG as bare asyncio tasks (await the dependencies, then
    `asyncio.sleep(latency)`): what the event loop alone costs, the floor for any scheduler."""
    loop = asyncio.get_running_loop()
    done = {name: loop.create_future() for name in depends_on}

    async def agent(name: str) -> None:
        for dep in depends_on[name]:
            await done[dep]
        await asyncio.sleep(latency[name])
        done[name].set_result(None)

    gc.collect()
    t0 = time.perf_counter()
    await asyncio.gather(*(agent(name) for name in depends_on))
    return time.perf_counter() - t0
