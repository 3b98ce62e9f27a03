"""The shipped `code-review` ensemble (3 parallel reviewers + 1 synthesizer) on the scripted
provider, every agent taking latency L: run once capped at one agent at a time
(`max_concurrency=1`, i.e. sequential, ideally 4L) and once uncapped (ideally 2L).

Figures: both wall times and the speed-up sequential / concurrent (ideal 2.0; target >= 1.9,
the ideal within the 5 % tolerance the other benchmarks allow).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml

import llm_orc
from harness import BenchmarkResult, median, time_run
from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.graph import graph_of
from llm_orc.execution.scheduler import RunOptions

NAME = "code_review_shape"
TITLE = "Shipped code-review shape (3 reviewers + synthesizer)"

ENSEMBLE_FILE = Path(llm_orc.__file__).parent / "ensembles" / "code-review.yaml"
IDEAL_SPEEDUP = 2.0
TARGET_SPEEDUP = 1.9  # the ideal within the 5 % tolerance the other benchmarks allow


def _ensemble() -> Ensemble:
    """The shipped file's shape, built without a source so `run` validates it as code-built."""
    data: dict[str, Any] = yaml.safe_load(ENSEMBLE_FILE.read_text(encoding="utf-8"))
    return Ensemble.from_document(data)


def _profiles(latency: float) -> dict[str, ModelProfile]:
    # The file's agents use the `default` profile; point it at the scripted provider.
    options = {"latency_seconds": latency, "chunks": 1}
    return {
        "default": ModelProfile(name="default", model="m", provider="scripted", options=options)
    }


async def _measure(result: BenchmarkResult) -> None:
    latency = result.parameters["latency_seconds"]
    repeats = result.parameters["repeats"]
    ensemble = _ensemble()
    profiles = _profiles(latency)
    await time_run(ensemble, _profiles(0.0))  # warm-up
    sequential = [
        await time_run(ensemble, profiles, RunOptions(max_concurrency=1)) for _ in range(repeats)
    ]
    concurrent = [await time_run(ensemble, profiles) for _ in range(repeats)]
    seq = median([t.wall for t in sequential])
    con = median([t.wall for t in concurrent])
    agents = len(ensemble.agents)
    graph = graph_of(
        [a.name for a in ensemble.agents], {a.name: a.depends_on for a in ensemble.agents}
    )
    levels = graph.levels()

    result.add(
        "sequential wall (max_concurrency=1)",
        seq,
        "s",
        note=f"ideal {agents * latency:g} s; median of {repeats}",
    )
    result.add(
        "concurrent wall",
        con,
        "s",
        note=f"ideal {len(levels) * latency:g} s; median of {repeats}",
    )
    result.add(
        "speed-up (sequential / concurrent)",
        seq / con,
        "x",
        target=TARGET_SPEEDUP,
        comparison=">=",
        note=f"ideal {IDEAL_SPEEDUP:g} (4L / 2L)",
    )
    result.details["levels"] = levels
    result.details["status"] = sorted({t.status for t in sequential + concurrent})
    result.details["samples_seconds"] = {
        "sequential": [round(t.wall, 5) for t in sequential],
        "concurrent": [round(t.wall, 5) for t in concurrent],
    }


def run(quick: bool) -> BenchmarkResult:
    result = BenchmarkResult(
        NAME,
        TITLE,
        parameters={
            "ensemble_file": "server/llm_orc/ensembles/code-review.yaml",
            "latency_seconds": 0.1 if quick else 0.5,
            "repeats": 1 if quick else 3,
            "provider": "scripted, chunks=1",
        },
    )
    asyncio.run(_measure(result))
    return result
