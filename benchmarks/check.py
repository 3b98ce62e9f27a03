"""The quick regression check CI runs (`run.py --quick --check`): three ratio figures, each
compared with `results/baseline.json`.

Every figure is a ratio of two times measured on the same machine in the same minute, so a
slower machine does not fail the check, and a regression in llm-orc does:

- `skewed_dag_wall_over_critical_path`: the skewed DAG of `bench_skewed_dag` at a quarter of its
  latencies; the run's wall time over its critical path (ideal 1).
- `fanout_overhead_over_asyncio`: 1000 independent agents of `bench_fanout` with L = 0.1 s; the
  orchestration overhead per agent, (wall - L) / N, over the same figure for 1000 bare asyncio
  tasks that only sleep L (what the event loop alone costs per task on this machine).
- `lsp_diagnostics_p95_over_calibration`: didChange -> publishDiagnostics p95 for a 500-agent
  ensemble in the real language server (80 edits after 5 warm-ups), over the p95 of a fixed
  pure-Python workload (JSON, a regex, dicts, sorting) timed in this process after each edit,
  so both tails see the same load: a validator or server slowdown raises it, a slower or
  busier CPU does not.

Load from other processes only ever makes a figure worse, so each is measured in ROUNDS rounds
and the best round counts. A figure fails when it exceeds its baseline by more than its margin
(`limit = baseline x (1 + margin)`); the margins, and the spread they were chosen from, are in
the baseline file and in benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import asyncio_floor, time_run

BASELINE = Path(__file__).resolve().parent / "results" / "baseline.json"
ROUNDS = 3


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float
    note: str


async def skewed_dag() -> Measurement:
    """Wall / critical path of the skewed DAG (fast 12.5 ms, slow 100 ms), best of 5 runs."""
    import bench_skewed_dag as bench
    from llm_orc.execution.graph import graph_of

    ensemble, latency = bench._shape(0.0125, 0.1)
    graph = graph_of(
        [a.name for a in ensemble.agents], {a.name: a.depends_on for a in ensemble.agents}
    )
    critical = sum(latency[name] for name in graph.critical_path(latency))
    await time_run(bench._shape(0.0, 0.0)[0], bench._profiles({}))  # warm-up
    profiles = bench._profiles(latency)
    wall = min([(await time_run(ensemble, profiles)).wall for _ in range(5)])
    return Measurement(wall / critical, f"wall {wall * 1e3:.1f} ms, critical {critical * 1e3:g} ms")


async def fanout() -> Measurement:
    """(wall - L) / (bare asyncio wall - L) for 1000 agents: each the best of 5, interleaved so
    that both see the same load."""
    import bench_fanout as bench

    n, latency = 1000, 0.1
    await time_run(bench._ensemble(10), bench._profiles(0.0))  # warm-up
    names = {f"agent-{i:04d}": () for i in range(n)}
    walls: list[float] = []
    floors: list[float] = []
    for _ in range(5):
        walls.append((await time_run(bench._ensemble(n), bench._profiles(latency))).wall)
        floors.append(await asyncio_floor(names, dict.fromkeys(names, latency)))
    ours, bare = min(walls) - latency, min(floors) - latency
    return Measurement(
        ours / bare,
        f"{ours / n * 1e6:.1f} µs per agent, bare asyncio {bare / n * 1e6:.1f} µs per task",
    )


_RECORDS = [
    {"name": f"agent-{i}", "depends_on": [f"agent-{j}" for j in range(i % 7)], "n": i}
    for i in range(1500)
]
_PATTERN = re.compile(r"agent-(\d+)")


def calibration_seconds() -> float:
    """One timing of a fixed pure-Python workload (JSON, a regex, dicts, sorting), about as long
    as validating the 500-agent ensemble, so that preemption costs both alike."""
    t0 = time.perf_counter()
    text = json.dumps(_RECORDS)
    index = {record["name"]: record for record in json.loads(text)}
    total = sum(int(match[1]) for match in _PATTERN.finditer(text))
    ordered = sorted(index, key=lambda name: (-len(index[name]["depends_on"]), name))
    assert total > 0 and len(ordered) == len(_RECORDS)
    return time.perf_counter() - t0


async def lsp_diagnostics() -> Measurement:
    """p95 of didChange -> diagnostics at 500 agents over the p95 of the calibration workload,
    one calibration timing after each edit's diagnostics arrived (the same load on both)."""
    from lsp.bench_lsp import Editing, percentile
    from lsp.client import BenchClient, capabilities
    from lsp.ensembles import ERRORS, ensemble, profiles

    samples: list[float] = []
    units: list[float] = []
    with tempfile.TemporaryDirectory(prefix="llm-orc-check-lsp-") as base:
        root, xdg = Path(base) / "project", Path(base) / "xdg"
        (root / ".llm-orc" / "ensembles").mkdir(parents=True)
        xdg.mkdir()
        (root / ".llm-orc" / "config.yaml").write_text(profiles(1.0, 1), encoding="utf-8")
        client = BenchClient()
        await client.open_session(root, xdg, capabilities(pull=False, work_done_progress=True))
        try:
            editing = Editing(client, root / ".llm-orc" / "ensembles" / "big.yaml", ensemble(500))
            await editing.opened()
            for i in range(85):
                elapsed, items = await editing.push_latency()
                if items != ERRORS:
                    raise RuntimeError(f"got {items} diagnostics, expected {ERRORS}")
                unit = calibration_seconds()
                if i >= 5:
                    samples.append(elapsed)
                    units.append(unit)
        finally:
            await client.close_session()
    p95, unit95 = percentile(samples, 95), percentile(units, 95)
    return Measurement(
        p95 / unit95, f"p95 {p95 * 1e3:.1f} ms, calibration p95 {unit95 * 1e3:.1f} ms"
    )


CHECKS: dict[str, Callable[[], Any]] = {
    "skewed_dag_wall_over_critical_path": skewed_dag,
    "fanout_overhead_over_asyncio": fanout,
    "lsp_diagnostics_p95_over_calibration": lsp_diagnostics,
}


def measure(rounds: int = ROUNDS) -> dict[str, dict[str, Any]]:
    """Every check's best round, with all rounds' values and the best round's note."""
    figures: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        results: list[Measurement] = [asyncio.run(check()) for _ in range(rounds)]
        best = min(results, key=lambda m: m.value)
        figures[name] = {
            "value": round(best.value, 4),
            "rounds": [round(m.value, 4) for m in results],
            "note": best.note,
        }
    return figures


def compare(figures: dict[str, dict[str, Any]], baseline: dict[str, Any]) -> tuple[list[str], bool]:
    """One line per figure against BASELINE, and whether every figure is within its limit."""
    lines: list[str] = []
    ok = True
    for name, figure in figures.items():
        recorded = baseline["figures"].get(name)
        if recorded is None:
            lines.append(f"  FAIL {name}: {figure['value']:.3f} (no baseline recorded)")
            ok = False
            continue
        limit = recorded["value"] * (1 + recorded["margin"])
        passed = figure["value"] <= limit
        ok = ok and passed
        lines.append(
            f"  {'ok  ' if passed else 'FAIL'} {name}: {figure['value']:.3f} "
            f"(baseline {recorded['value']:.3f}, limit {limit:.3f} = +{recorded['margin']:.0%}; "
            f"rounds {', '.join(f'{v:.3f}' for v in figure['rounds'])}; {figure['note']})"
        )
    return lines, ok
