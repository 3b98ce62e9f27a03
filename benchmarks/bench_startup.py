"""Start-up: wall time of `llm-orc --help` and `llm-orc validate FILE` as fresh processes.

The command is the real console script next to the interpreter (`<bin>/llm-orc`) when it
exists, else `python -m llm_orc.cli.main`; the result says which. Each command runs once to
warm the OS and bytecode caches, then RUNS times; the figure is the median. The bytecode is
cached as an installed package has it (pip compiles it at install), in a folder of the
benchmark's own (`PYTHONPYCACHEPREFIX`), also where the environment says not to write it
(`PYTHONDONTWRITEBYTECODE`): otherwise every start would compile each module changed since the
last cache, and the figure would depend on the tree's history. The bare
interpreter (`python -c pass`) is measured too: it is the floor no change here can go below.

For regressions, `python -X importtime` of the validate command is recorded: the top imports
by cumulative time, by self time, and the self time summed per top-level package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from harness import BenchmarkResult, median

NAME = "startup"
TITLE = "CLI start-up (fresh processes)"

ROOT = Path(__file__).resolve().parents[1]
ENSEMBLE_FILE = "server/llm_orc/ensembles/code-review.yaml"
TARGET_SECONDS = 0.3
TOP = 5
_PYCACHE = tempfile.TemporaryDirectory(prefix="llm-orc-bench-pycache-")
"""Where the measured processes keep their bytecode (removed when the benchmark exits)."""


def _command() -> tuple[list[str], str]:
    script = Path(sys.executable).parent / "llm-orc"
    if script.is_file():
        return [str(script)], f"console script {script}"
    return [sys.executable, "-m", "llm_orc.cli.main"], f"{sys.executable} -m llm_orc.cli.main"


def _importtime_command(args: list[str]) -> list[str]:
    # The console script is a Python file: run it under the same interpreter with -X importtime.
    if args[0] == sys.executable:
        return [sys.executable, "-X", "importtime", *args[1:]]
    return [sys.executable, "-X", "importtime", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for key in (
        "PYTHONPROFILEIMPORTTIME",
        "PYTHONDEVMODE",
        "PYTHONTRACEMALLOC",
        "PYTHONDONTWRITEBYTECODE",
    ):
        env.pop(key, None)
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE.name
    return env


def _time(args: list[str], runs: int) -> tuple[list[float], int]:
    """Wall seconds of RUNS fresh runs of ARGS (after one discarded warm-up), and the exit code."""
    code = 0
    samples: list[float] = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        done = subprocess.run(args, cwd=ROOT, env=_env(), capture_output=True, check=False)
        elapsed = time.perf_counter() - t0
        code = done.returncode
        if i:
            samples.append(elapsed)
    return samples, code


def _parse_importtime(stderr: str) -> list[tuple[str, int, int]]:
    """(module, self µs, cumulative µs) for every `import time:` line."""
    rows: list[tuple[str, int, int]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        rows.append((fields[2].strip(), int(fields[0]), int(fields[1])))
    return rows


def _importtime(args: list[str], runs: int) -> dict[str, object]:
    """Median self/cumulative import times per module over RUNS runs."""
    self_us: dict[str, list[int]] = defaultdict(list)
    cumulative_us: dict[str, list[int]] = defaultdict(list)
    for _ in range(runs):
        done = subprocess.run(
            _importtime_command(args),
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        for module, own, total in _parse_importtime(done.stderr):
            self_us[module].append(own)
            cumulative_us[module].append(total)
    own_median = {m: median([float(v) for v in vs]) for m, vs in self_us.items()}
    total_median = {m: median([float(v) for v in vs]) for m, vs in cumulative_us.items()}
    per_package: dict[str, float] = defaultdict(float)
    for module, own in own_median.items():
        per_package[module.split(".")[0]] += own

    def top(values: dict[str, float]) -> list[dict[str, object]]:
        ranked = sorted(values.items(), key=lambda item: -item[1])[:TOP]
        return [{"module": m, "ms": round(us / 1000, 1)} for m, us in ranked]

    return {
        "runs": runs,
        "modules_imported": len(own_median),
        "total_self_ms": round(sum(own_median.values()) / 1000, 1),
        "top_cumulative": top(total_median),
        "top_self": top(own_median),
        "top_packages_by_self_time": top(dict(per_package)),
    }


def run(quick: bool) -> BenchmarkResult:
    runs = 3 if quick else 10
    command, how = _command()
    result = BenchmarkResult(
        NAME,
        TITLE,
        parameters={
            "runs": runs,
            "command": how,
            "validate_file": ENSEMBLE_FILE,
            "cwd": str(ROOT),
        },
    )
    cases = {
        "llm-orc --help": [*command, "--help"],
        f"llm-orc validate {ENSEMBLE_FILE}": [*command, "validate", ENSEMBLE_FILE],
    }
    for label, args in cases.items():
        samples, code = _time(args, runs)
        result.add(
            label,
            median(samples),
            "s",
            target=TARGET_SECONDS,
            note=f"median of {runs}; min {min(samples):.3f} s"
            + ("" if code == 0 else f"; EXIT CODE {code}"),
        )
        result.details[f"samples_seconds: {label}"] = [round(s, 4) for s in samples]
        result.details[f"exit_code: {label}"] = code
    floor, _ = _time([sys.executable, "-c", "pass"], runs)
    result.add("bare interpreter (python -c pass)", median(floor), "s", note="the floor")
    result.details["importtime: validate"] = _importtime(
        cases[f"llm-orc validate {ENSEMBLE_FILE}"], 1 if quick else 3
    )
    return result
