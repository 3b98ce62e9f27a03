"""Run the performance benchmarks and write `results/latest.json` and `results/latest.md`.

    python benchmarks/run.py            # the full suite (about three minutes)
    python benchmarks/run.py --quick    # smaller latencies and fewer repeats: a smoke run
    python benchmarks/run.py --only fanout --only startup
    python benchmarks/run.py --quick --check            # CI: ratio figures vs the baseline
    python benchmarks/run.py --record-baseline 5        # re-measure the baseline (5 times)

Benchmarks measure; they never fail. A missed target is recorded in the results and listed at
the end of the output, and the exit status is 0 unless a benchmark could not run at all.
`--check` is the exception: it measures the ratio figures of `check.py` (about half a minute),
compares them with `results/baseline.json`, writes nothing, and exits 1 when one is worse than
its baseline by more than its margin.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import BenchmarkResult

BENCHMARKS = {
    "fanout": "bench_fanout",
    "skewed_dag": "bench_skewed_dag",
    "code_review_shape": "bench_code_review_shape",
    "startup": "bench_startup",
    "provider_overhead": "bench_provider_overhead",
    "lsp": "lsp.bench_lsp",
    "side_by_side": "bench_side_by_side",
}
RESULTS = Path(__file__).resolve().parent / "results"
MIN_MARGIN = 0.25
"""The smallest margin a check figure gets over its baseline, whatever spread was seen."""


def _run_one(name: str, quick: bool) -> BenchmarkResult:
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(BENCHMARKS[name])
        result: BenchmarkResult = module.run(quick)
    except Exception as exc:  # a broken benchmark is reported, and the others still run
        result = BenchmarkResult(name, name, error=f"{type(exc).__name__}: {exc}")
        result.details["traceback"] = traceback.format_exc()
    result.duration_seconds = time.perf_counter() - t0
    return result


def _environment(quick: bool, selected: list[str]) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "quick": quick,
        "benchmarks": selected,
    }


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) >= 10:
        return f"{int(value)}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _met(met: bool | None) -> str:
    return {True: "yes", False: "**NO**", None: ""}[met]


def _detail_tables(result: BenchmarkResult) -> list[str]:
    """Markdown tables for the details that are lists of records (nested one level deep)."""
    lines: list[str] = []

    def table(title: str, rows: list[dict[str, Any]]) -> None:
        columns = list(rows[0])
        lines.extend(["", f"*{title}*", ""])
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "---|" * len(columns))
        lines.extend("| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows)

    def is_records(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and isinstance(value[0], dict)

    for key, value in result.details.items():
        if key.startswith("samples"):
            continue  # raw samples: in the JSON only
        if is_records(value):
            table(key, value)
        elif isinstance(value, dict):
            for sub, subvalue in value.items():
                if is_records(subvalue):
                    table(f"{key} — {sub}", subvalue)
    return lines


def _markdown(environment: dict[str, Any], results: list[BenchmarkResult]) -> str:
    mode = "quick (smoke run)" if environment["quick"] else "full"
    lines = [
        "# llm-orc benchmarks",
        "",
        f"{environment['date']} · Python {environment['python']} · "
        f"{environment['cpu_count']} CPUs · {environment['platform']} · {mode}",
        "",
        "| Benchmark | Figure | Value | Unit | Target | Met | Note |",
        "|---|---|---:|---|---|---|---|",
    ]
    for result in results:
        if result.error:
            lines.append(f"| {result.name} | — | — | | | **ERROR** | {result.error} |")
        for figure in result.figures:
            lines.append(
                f"| {result.name} | {figure.name} | {_number(figure.value)} | {figure.unit} | "
                f"{figure.target_text} | {_met(figure.met)} | {figure.note} |"
            )
    missed = [(r, f) for r in results for f in r.missed]
    lines += ["", "## Missed targets", ""]
    lines += [
        f"- {r.name}: {f.name} = {_number(f.value)} {f.unit} ({f.target_text})" for r, f in missed
    ]
    if not missed:
        lines.append("None.")
    lines += ["", "## Parameters and details", ""]
    for result in results:
        lines.append(f"### {result.name}: {result.title} ({result.duration_seconds:.1f} s)")
        lines.append("")
        lines.append("`" + json.dumps(result.parameters) + "`")
        lines.extend(_detail_tables(result))
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller N/latency: a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="measure the ratio figures of check.py and fail when one is worse than "
        "results/baseline.json allows (writes nothing)",
    )
    parser.add_argument(
        "--record-baseline",
        type=int,
        metavar="TIMES",
        help="measure the check figures TIMES times and write results/baseline.json",
    )
    args = parser.parse_args(argv)
    if args.check:
        return _check()
    if args.record_baseline:
        return _record_baseline(args.record_baseline)
    selected: list[str] = args.only or list(BENCHMARKS)
    environment = _environment(args.quick, selected)

    results: list[BenchmarkResult] = []
    for name in selected:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        result = _run_one(name, args.quick)
        results.append(result)
        for figure in result.figures:
            mark = {True: "ok  ", False: "MISS", None: "    "}[figure.met]
            print(
                f"  {mark} {figure.name}: {_number(figure.value)} {figure.unit} "
                f"{figure.target_text}",
                file=sys.stderr,
            )
        if result.error:
            print(f"  ERROR {result.error}", file=sys.stderr)
        print(f"  ({result.duration_seconds:.1f} s)", file=sys.stderr, flush=True)

    RESULTS.mkdir(exist_ok=True)
    document = {**environment, "results": [r.to_dict() for r in results]}
    document["missed_targets"] = [
        {"benchmark": r.name, **f.to_dict()} for r in results for f in r.missed
    ]
    (RESULTS / "latest.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "latest.md").write_text(_markdown(environment, results) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'latest.md'}", file=sys.stderr)
    return 1 if any(r.error for r in results) else 0


def _check() -> int:
    import check

    baseline = json.loads(check.BASELINE.read_text(encoding="utf-8"))
    print(f"checking against {check.BASELINE.name} ({baseline['date']}) ...", file=sys.stderr)
    t0 = time.perf_counter()
    lines, ok = check.compare(check.measure(), baseline)
    print("\n".join(lines), file=sys.stderr)
    verdict = "within the baseline's margins" if ok else "REGRESSION: a figure is over its limit"
    print(f"{verdict} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return 0 if ok else 1


def _record_baseline(times: int) -> int:
    """Measure the check figures TIMES times; the baseline is the median, and the margin covers
    the spread seen (at least MIN_MARGIN, twice the worst excess over the median otherwise)."""
    import check

    runs = []
    for i in range(times):
        print(f"measuring {i + 1}/{times} ...", file=sys.stderr, flush=True)
        runs.append(check.measure())
    previous = (
        json.loads(check.BASELINE.read_text(encoding="utf-8"))["figures"]
        if check.BASELINE.exists()
        else {}
    )
    figures = {}
    for name in check.CHECKS:
        values = sorted(run[name]["value"] for run in runs)
        middle = statistics.median(values)
        excess = (values[-1] - middle) / middle
        margin = max(previous.get(name, {}).get("margin", 0.0), MIN_MARGIN, round(2 * excess, 2))
        figures[name] = {
            "value": round(middle, 4),
            "margin": margin,
            "spread": [values[0], values[-1]],
            "note": runs[0][name]["note"],
        }
        print(
            f"  {name}: {middle:.3f} (spread {values[0]:.3f}..{values[-1]:.3f}), margin "
            f"+{margin:.0%}",
            file=sys.stderr,
        )
    document = {**_environment(True, ["check"]), "runs": times, "figures": figures}
    check.BASELINE.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {check.BASELINE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
