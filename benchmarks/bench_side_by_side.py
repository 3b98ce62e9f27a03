"""Side by side with the public llm-orc (PyPI `llm-orchestra`, in a venv of its own): both
tools' CLIs run the same two ensembles, from the same project directory, against the same
loopback `openai-compatible` server, whose answer takes the time the agent's model name says.

- Shapes (`side_by_side/shapes.py`): a skewed DAG (two crossing chains through 8 levels whose
  0.4 s and 0.05 s agents alternate, so every level holds one slow agent) and 200 independent
  agents at 1 s. From the latencies: the critical path (an ideal scheduler's wall time) and the
  phase-barrier time (a level-by-level scheduler's).
- Each tool runs as a user runs it: `llm-orc invoke NAME` with the input on standard input and
  JSON output, a fresh process each time, in the project directory. Wall time is taken from the
  outside; the run's own time is the duration the tool reports (ours: the result document's
  `duration_seconds`; the public one: `metadata.completed_at - started_at`), and the server's
  clock gives the time from the first request to the last answer (scheduling alone). Start-up
  (`llm-orc --help`) is measured separately. Median of 3 per tool and shape, interleaved.

Not part of `--quick`: CI must not depend on PyPI or on the public tool. When the public tool
cannot be installed or fails to run, its figures are recorded as not measured, with the reason.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from harness import BenchmarkResult, median
from side_by_side import shapes
from side_by_side.latency_server import LatencyServer, model_for, peak_in_flight
from side_by_side.public_tool import PublicTool, ensure_installed
from support.plugins import without_test_plugins

NAME = "side_by_side"
TITLE = "Side by side with the public llm-orc (CLI, one loopback openai-compatible server)"

TARGET_RUN_OVER_CRITICAL = 1.05
REPEATS = 3
CHAINS, LEVELS, FAST, SLOW = 2, 8, 0.05, 0.4
FAN_OUT, FAN_OUT_LATENCY = 200, 1.0
INPUT = "Go."
RUN_TIMEOUT_SECONDS = 120


@dataclass(frozen=True, slots=True)
class Reported:
    """What a tool's JSON output says about its run: when it started, how long it took."""

    started_epoch: float
    duration: float


@dataclass(frozen=True, slots=True)
class Tool:
    key: str
    label: str
    argv: list[str]
    parse: Callable[[dict[str, Any]], Reported | str]
    output_flag: list[str]


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float
    run: float
    before_first_request: float
    span: float
    arrival_spread: float
    """From the first request's arrival to the last one's: how long starting them all took."""
    after_last_answer: float
    cpu: float
    """CPU seconds (user + system) of the tool's process: barely moved by other load."""
    peak_in_flight: int
    requests: int
    connections: int


def _parse_ours(document: dict[str, Any]) -> Reported | str:
    if document.get("status") != "succeeded":
        failed = [a for a in document.get("agents", []) if a.get("status") != "succeeded"]
        first = f": {failed[0]['name']}: {failed[0].get('error')}" if failed else ""
        return f"run {document.get('status')}{first}"
    started = datetime.fromisoformat(document["started_at"]).timestamp()
    return Reported(started, float(document["duration_seconds"]))


def _parse_public(document: dict[str, Any]) -> Reported | str:
    if document.get("status") != "success" or document.get("has_errors"):
        error = document.get("error") or {}
        return f"status {document.get('status')}: {error.get('message', 'agents failed')}"
    metadata = document["metadata"]
    started = float(metadata["started_at"])
    return Reported(started, float(metadata["completed_at"]) - started)


def _our_tool() -> Tool:
    script = Path(sys.executable).parent / "llm-orc"
    argv = [str(script)] if script.is_file() else [sys.executable, "-m", "llm_orc.cli.main"]
    return Tool("ours", "llm-orc (ours)", argv, _parse_ours, ["-o", "json"])


def _public_tool(installed: PublicTool) -> Tool:
    label = f"public llm-orc {installed.version}"
    return Tool(
        "public", label, [str(installed.executable)], _parse_public, ["--output-format", "json"]
    )


def _refused_url() -> str:
    """A loopback URL nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _environment(home: Path) -> dict[str, str]:
    """A clean user for both tools: an empty HOME and config dir (no global profiles or
    credentials), no test plugins, and the public tool's llama-server router (probed on every
    invoke, default 127.0.0.1:8080) on a port that refuses at once."""
    env = without_test_plugins(dict(os.environ))
    (home / "config").mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        LLAMA_SERVER_URL=_refused_url(),
    )
    for key in ("OPENAI_API_KEY", "PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE"):
        env.pop(key, None)
    # Both tools keep their bytecode, as installed packages do (the warm-up writes it), in a
    # folder of the benchmark's own: not compiled again on every start where the environment
    # says not to write it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    return env


def _write_project(root: Path, server: LatencyServer, all_shapes: list[shapes.Shape]) -> None:
    """`.llm-orc/config.yaml` (one profile per latency, a connection pool as large as the
    widest shape for the public tool) and one ensemble file per shape."""
    latencies = {agent.latency for shape in all_shapes for agent in shape.agents}
    widest = max(len(shape.agents) for shape in all_shapes)
    config = {
        "project": {"name": "side-by-side"},
        "model_profiles": shapes.profiles(latencies, server.base_url),
        "performance": {
            "concurrency": {"connection_pool": {"max_connections": widest, "max_keepalive": widest}}
        },
    }
    ensembles = root / ".llm-orc" / "ensembles"
    ensembles.mkdir(parents=True)
    (root / ".llm-orc" / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    for shape in all_shapes:
        (ensembles / f"{shape.name}.yaml").write_text(shapes.ensemble_yaml(shape), "utf-8")


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def _invoke(
    tool: Tool, shape: shapes.Shape, server: LatencyServer, project: Path, env: dict[str, str]
) -> Sample | str:
    """One run of SHAPE by TOOL as a fresh process; the sample, or why there is none."""
    server.reset()
    argv = [*tool.argv, "invoke", shape.name, *tool.output_flag]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            input=INPUT,
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"`{tool.label} invoke {shape.name}` did not finish in {RUN_TIMEOUT_SECONDS} s"
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    try:
        document = json.loads(done.stdout)
    except ValueError:
        return f"exit {done.returncode}, no JSON on stdout: {_one_line(done.stderr)}"
    reported = tool.parse(document)
    if isinstance(reported, str):
        return f"exit {done.returncode}, {reported}"
    served = server.snapshot()
    if len(served) != len(shape.agents):
        return f"the server answered {len(served)} requests for {len(shape.agents)} agents"
    first = server.epoch(min(s.received for s in served))
    last = server.epoch(max(s.answered for s in served))
    return Sample(
        wall=wall,
        run=reported.duration,
        before_first_request=first - reported.started_epoch,
        span=last - first,
        arrival_spread=max(s.received for s in served) - min(s.received for s in served),
        after_last_answer=reported.started_epoch + reported.duration - last,
        cpu=cpu,
        peak_in_flight=peak_in_flight(served),
        requests=len(served),
        connections=server.connections,
    )


def _startup(tool: Tool, project: Path, env: dict[str, str]) -> float:
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        subprocess.run(
            [*tool.argv, "--help"],
            cwd=project,
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        samples.append(time.perf_counter() - started)
    return median(samples)


def _median_sample(samples: list[Sample]) -> dict[str, float]:
    fields = (
        "wall",
        "cpu",
        "run",
        "before_first_request",
        "span",
        "arrival_spread",
        "after_last_answer",
    )
    summary = {name: median([getattr(s, name) for s in samples]) for name in fields}
    summary["outside_run"] = median([s.wall - s.run for s in samples])
    summary["peak_in_flight"] = min(s.peak_in_flight for s in samples)
    return summary


def _figures(
    result: BenchmarkResult,
    title: str,
    shape: shapes.Shape,
    tools: list[Tool],
    measured: dict[str, list[Sample]],
    floor: float | None = None,
) -> None:
    """The figures of one shape; FLOOR: the bare SDK's seconds for the same requests at once
    (independent agents only), against which our run is then judged."""
    path, critical = shape.critical_path()
    phases = shape.phase_time()
    result.add(f"{title}: critical path", critical, "s", note=f"{len(path)} agents on it")
    result.add(
        f"{title}: phase-barrier time",
        phases,
        "s",
        note=f"sum of each dependency level's slowest agent: {phases / critical:.2f}x the path",
    )
    runs: dict[str, float] = {}
    for tool in tools:
        samples = measured.get(tool.key)
        if not samples:
            continue
        m = _median_sample(samples)
        runs[tool.key] = m["run"]
        who = tool.label
        result.add(
            f"{title}: {who} wall (fresh process)",
            m["wall"],
            "s",
            note=(
                f"median of {len(samples)}, from the outside: {m['outside_run']:.3f} s of it "
                "outside the run (interpreter, imports, config, and output); the process used "
                f"{m['cpu']:.3f} s of CPU"
            ),
        )
        result.add(f"{title}: {who} wall / critical path", m["wall"] / critical, "x")
        judged = tool.key == "ours" and floor is None
        result.add(
            f"{title}: {who} run / critical path",
            m["run"] / critical,
            "x",
            target=TARGET_RUN_OVER_CRITICAL if judged else None,
            note=(
                f"the run's own reported duration, {m['run']:.3f} s: "
                f"{m['before_first_request']:.3f} s until the first request reached the server, "
                f"{m['span']:.3f} s from it to the last answer, "
                f"{m['after_last_answer']:.3f} s after"
            ),
        )
        result.add(
            f"{title}: {who} first request to last answer / critical path",
            m["span"] / critical,
            "x",
            target=TARGET_RUN_OVER_CRITICAL if judged else None,
            note=(
                f"the server's clock: scheduling alone; at least {m['peak_in_flight']:.0f} "
                f"requests in flight at once (of {len(shape.agents)})"
                + (
                    ""
                    if any(agent.depends_on for agent in shape.agents)
                    else f"; they arrived over {m['arrival_spread']:.3f} s"
                )
            ),
        )
        if floor is not None:
            result.add(
                f"{title}: {who} run / bare SDK at once",
                m["run"] / floor,
                "x",
                target=TARGET_RUN_OVER_CRITICAL if tool.key == "ours" else None,
                note=(
                    "the run against the same requests on the bare SDK from one process "
                    f"({floor:.3f} s): the SDK's own work per request (about a millisecond or "
                    "two of CPU each) puts that floor above the critical path, for any tool"
                ),
            )
    if "ours" in runs and "public" in runs:
        result.add(
            f"{title}: public run / our run",
            runs["public"] / runs["ours"],
            "x",
            note="how many times longer the public llm-orc's run takes",
        )


def _bare_sdk(result: BenchmarkResult, shape: shapes.Shape, server: LatencyServer) -> float | None:
    """The same N requests on the bare SDK from one process: what any tool on it pays (the
    median seconds, or None when it could not run: said in the details)."""
    latency = shape.agents[0].latency
    script = Path(__file__).parent / "side_by_side" / "bare_sdk.py"
    seconds: list[float] = []
    transport = "?"
    for _ in range(REPEATS):
        server.reset()
        done = subprocess.run(
            [
                sys.executable,
                str(script),
                server.base_url,
                model_for(latency),
                str(len(shape.agents)),
            ],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            result.details.setdefault("not_measured", []).append(
                {"tool": "bare SDK", "what": shape.name, "reason": _one_line(done.stderr)}
            )
            return None
        found = json.loads(done.stdout.strip().splitlines()[-1])
        seconds.append(float(found["seconds"]))
        transport = str(found["transport"])
    result.add(
        f"{shape.name}: bare openai SDK, {len(shape.agents)} requests at once / one call",
        median(seconds) / latency,
        "x",
        note=(
            f"median of {REPEATS}: asyncio.gather of {len(shape.agents)} streamed requests on the "
            f"SDK alone ({transport} transport, SDK imported and warmed first), one process: "
            "the floor for any tool on this SDK"
        ),
    )
    return median(seconds)


def _measure(result: BenchmarkResult, installed: PublicTool | str) -> None:
    skewed = shapes.skewed_dag(CHAINS, LEVELS, FAST, SLOW)
    fan = shapes.fan_out(FAN_OUT, FAN_OUT_LATENCY)
    all_shapes = [(f"skewed DAG ({len(skewed.agents)} agents)", skewed), (fan.name, fan)]
    tools = [_our_tool()]
    not_measured: list[dict[str, str]] = []
    if isinstance(installed, str):
        not_measured.append({"tool": "public llm-orc", "what": "every figure", "reason": installed})
    else:
        tools.append(_public_tool(installed))
    latencies = {agent.latency for _, shape in all_shapes for agent in shape.agents}

    breakdown: list[dict[str, Any]] = []
    raw: dict[str, list[dict[str, Any]]] = {}
    with (
        LatencyServer(model_for(latency) for latency in latencies) as server,
        tempfile.TemporaryDirectory(prefix="llm-orc-side-by-side-") as folder,
    ):
        project = Path(folder) / "project"
        project.mkdir()
        env = _environment(Path(folder) / "home")
        _write_project(project, server, [shape for _, shape in all_shapes])

        failed: dict[tuple[str, str], str] = {}
        for tool in tools:  # warm-up: OS and bytecode caches, the public tool's first-run setup
            warm = _invoke(tool, skewed, server, project, env)
            if isinstance(warm, str):
                failed[(tool.key, skewed.name)] = failed[(tool.key, fan.name)] = warm
        for tool in tools:
            result.add(
                f"start-up: {tool.label} `llm-orc --help`",
                _startup(tool, project, env),
                "s",
                note=f"median of {REPEATS} fresh processes: the floor of every wall time below",
            )

        for title, shape in all_shapes:
            measured: dict[str, list[Sample]] = {tool.key: [] for tool in tools}
            for _ in range(REPEATS):
                for tool in tools:  # interleaved: both tools see the same machine load
                    if (tool.key, shape.name) in failed:
                        continue
                    sample = _invoke(tool, shape, server, project, env)
                    if isinstance(sample, str):
                        failed[(tool.key, shape.name)] = sample
                        measured[tool.key] = []
                    else:
                        measured[tool.key].append(sample)
            independent = not any(agent.depends_on for agent in shape.agents)
            floor = _bare_sdk(result, shape, server) if independent else None
            _figures(result, title, shape, tools, measured, floor)
            for tool in tools:
                if (tool.key, shape.name) in failed:
                    reason = failed[(tool.key, shape.name)]
                    not_measured.append({"tool": tool.label, "what": title, "reason": reason})
                    continue
                m = _median_sample(measured[tool.key])
                breakdown.append(
                    {"shape": title, "tool": tool.label}
                    | {key: round(value, 3) for key, value in m.items()}
                )
                raw[f"{shape.name} {tool.key}"] = [
                    {k: round(v, 4) for k, v in asdict(s).items()} for s in measured[tool.key]
                ]

    for entry in not_measured:
        print(
            f"  NOT MEASURED {entry['tool']}, {entry['what']}: {entry['reason']}",
            file=sys.stderr,
        )
    result.details["breakdown (medians, seconds)"] = breakdown
    if not_measured:
        result.details["not_measured"] = not_measured
    result.details["samples_runs"] = raw
    result.details["critical_path_skewed"] = skewed.critical_path()[0]


def run(quick: bool) -> BenchmarkResult:
    result = BenchmarkResult(
        NAME,
        TITLE,
        parameters={
            "skewed_dag": {"chains": CHAINS, "levels": LEVELS, "fast": FAST, "slow": SLOW},
            "fan_out": {"agents": FAN_OUT, "latency_seconds": FAN_OUT_LATENCY},
            "repeats": REPEATS,
            "public_tool": "llm-orchestra (PyPI), its own venv under ~/.cache/llm-orc-bench",
            "provider": "openai-compatible on one loopback server, latency by model name",
        },
    )
    if quick:
        reason = "not run with --quick: it installs the public llm-orc from PyPI (full runs only)"
        skipped = {"tool": "both", "what": "every figure", "reason": reason}
        result.details["not_measured"] = [skipped]
        print(f"  NOT MEASURED: {reason}", file=sys.stderr)
        return result
    installed = ensure_installed()
    if isinstance(installed, PublicTool):
        result.parameters["public_tool"] = f"llm-orchestra=={installed.version} in {installed.venv}"
        if installed.install_seconds is not None:
            result.details["public_install_seconds"] = round(installed.install_seconds, 1)
    _measure(result, installed)
    return result
