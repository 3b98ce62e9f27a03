"""The language server as an editor feels it: the real `python -m llm_orc.lsp` over stdio,
driven by a pygls client (`client.py`), every figure measured on the client's clock.

- didChange → publishDiagnostics of that version, for generated ensembles of 10, 100 and 500
  agents (a DAG with three errors, so the published list is never empty): one incremental edit
  at a time (digits typed in the middle agent's prompt), each waiting for its own version's
  publish. The same at 500 agents for an edit that adds a line (Enter in that prompt: every
  later line moves), and for a client that pulls (didChange, then `textDocument/diagnostic`
  until answered).
- `textDocument/codeAction` on a non-empty selection in a Python file, trigger kind Automatic
  (what an editor sends on every cursor move).
- `workspace/executeCommand` `llm-orc.runEnsemble` → the first `llm-orc/runEvent` of type
  `agent_text_delta`, on a scripted profile with no latency, one run at a time: with work-done
  progress declared (the server creates a token first: one more round trip) and without.
- Coalescing: a run of agents that each stream hundreds of pieces a second (scripted): the
  `agent_text_delta` notifications each agent gets per second, against the pieces the engine
  emitted, and runEnsemble → its first text.
- Responsiveness while runs generate: several runs of an ensemble on a streaming scripted
  profile with latency go on while the didChange → diagnostics latency is measured again.
- The same while the embedded local model (llama.cpp in the server's worker thread) generates:
  the CPU-heavy case. Recorded as "not available" where llama-cpp-python is not installed.

Everything the server reads is in a temporary project (`.llm-orc/config.yaml` with scripted
profiles, `XDG_CONFIG_HOME` pointed at an empty folder). A missing run command is recorded as
"not available", never an error.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types

from harness import BenchmarkResult, median

from .client import RUN_ENSEMBLE, BenchClient, capabilities
from .ensembles import ERRORS, edit_line, ensemble, parallel, profiles, runnable

NAME = "lsp"
TITLE = "Language server over stdio (pygls client, real server process)"

SIZES = (10, 100, 500)
TARGET_DIAGNOSTICS_MS = 30.0
"""didChange → diagnostics p95 at 500 agents, on an idle server (issue 11's target)."""
TARGET_BUSY_DIAGNOSTICS_MS = 50.0
"""The same while runs or the embedded model generate in the server."""
TARGET_CODE_ACTION_MS = 20.0
TARGET_FIRST_DELTA_MS = 100.0
TARGET_DELTAS_PER_SECOND = 30.0
"""Notifications a second per streaming agent: "a few tens", never one per token."""
BUSY_SIZES = (100, 500)
"""The documents edited while runs generate."""


@dataclass(frozen=True, slots=True)
class Settings:
    edits: int
    warmup: int
    code_actions: int
    runs: int
    busy_runs: int
    busy_agents: int
    busy_latency: float
    busy_chunks: int
    stream_agents: int
    stream_seconds: float
    stream_pieces: int

    @classmethod
    def of(cls, quick: bool) -> Settings:
        if quick:
            return cls(15, 3, 50, 10, 2, 4, 3.0, 30, 3, 2.0, 400)
        return cls(50, 5, 200, 30, 4, 8, 6.0, 120, 4, 4.0, 1000)


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _ms(seconds: list[float]) -> list[float]:
    return [round(s * 1000, 3) for s in seconds]


def _stats(samples_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50_ms": round(median(samples_ms), 3),
        "p95_ms": round(percentile(samples_ms, 95), 3),
        "max_ms": round(max(samples_ms), 3),
    }


# -- a project on disk ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    xdg: Path

    @property
    def ensembles(self) -> Path:
        return self.root / ".llm-orc" / "ensembles"


def _project(base: Path, settings: Settings) -> Project:
    root, xdg = base / "project", base / "xdg"
    (root / ".llm-orc" / "ensembles").mkdir(parents=True)
    xdg.mkdir()
    config = profiles(
        settings.busy_latency,
        settings.busy_chunks,
        stream_latency=settings.stream_seconds,
        stream_pieces=settings.stream_pieces,
    )
    (root / ".llm-orc" / "config.yaml").write_text(config, encoding="utf-8")
    project = Project(root, xdg)
    (project.ensembles / "quick.yaml").write_text(runnable(2, "quick", "fake"), encoding="utf-8")
    busy = runnable(settings.busy_agents, "busy", "slow")
    (project.ensembles / "busy.yaml").write_text(busy, encoding="utf-8")
    (project.ensembles / "local-busy.yaml").write_text(LOCAL_ENSEMBLE, encoding="utf-8")
    streaming = parallel(settings.stream_agents, "streaming", "tokens")
    (project.ensembles / "streaming.yaml").write_text(streaming, encoding="utf-8")
    return project


PYTHON_FILE = "".join(
    f"def function_{i}(value):\n    return value * {i}  # line of code {i}\n\n" for i in range(30)
)


# -- measurements -----------------------------------------------------------------------------


class Editing:
    """An open ensemble document and the incremental edits made to it: each bumps the version
    number in the middle agent's system prompt, or (ENTER) breaks that prompt's line before
    "Version" (a new line inside the quoted text: every later line moves down one)."""

    def __init__(self, client: BenchClient, path: Path, text: str, *, enter: bool = False) -> None:
        self.client = client
        self.line = edit_line(text)
        self.prefix = text.splitlines()[self.line].index("Version ") + len("Version ")
        self.number = "0"
        self.version = 1
        self.enter = enter
        self.uri = client.open(path, text)

    async def opened(self) -> None:
        await self.client.arrival(("diagnostics", self.uri, 1))

    def edit(self) -> None:
        """Send the next edit (a new version)."""
        if self.enter:
            self.version += 1
            at = types.Position(self.line, self.prefix - len("Version "))
            self.client.replace(self.uri, self.version, types.Range(at, at), "\n      ")
            return
        start = types.Position(self.line, self.prefix)
        end = types.Position(self.line, self.prefix + len(self.number))
        self.number = str(int(self.number) + 1)
        self.version += 1
        self.client.replace(self.uri, self.version, types.Range(start, end), self.number)

    async def push_latency(self) -> tuple[float, int]:
        t0 = time.perf_counter()
        self.edit()
        key = ("diagnostics", self.uri, self.version)
        elapsed = await self.client.arrival(key) - t0
        return elapsed, self.client.counts[key]

    async def pull_latency(self) -> tuple[float, int]:
        t0 = time.perf_counter()
        self.edit()
        report = await self.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=self.uri))
        )
        elapsed = time.perf_counter() - t0
        items = getattr(report, "items", None) or []
        return elapsed, len(items)

    def close(self) -> None:
        self.client.close(self.uri)


async def _edits(editing: Editing, settings: Settings, pull: bool = False) -> list[float]:
    samples: list[float] = []
    for i in range(settings.warmup + settings.edits):
        elapsed, items = await (editing.pull_latency() if pull else editing.push_latency())
        assert items == ERRORS, f"got {items} diagnostics, expected {ERRORS}"
        if i >= settings.warmup:
            samples.append(elapsed)
    return samples


async def _code_actions(client: BenchClient, project: Project, n: int) -> tuple[list[float], int]:
    document = client.open(project.root / "app.py", PYTHON_FILE, language="python")
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=document),
        range=types.Range(types.Position(3, 0), types.Position(12, 20)),
        context=types.CodeActionContext(
            diagnostics=[], trigger_kind=types.CodeActionTriggerKind.Automatic
        ),
    )
    samples: list[float] = []
    actions = 0
    for i in range(10 + n):
        t0 = time.perf_counter()
        answer = await client.text_document_code_action_async(params)
        if i >= 10:
            samples.append(time.perf_counter() - t0)
        actions = len(answer or [])
    client.close(document)
    return samples, actions


async def _first_deltas(client: BenchClient, runs: int) -> list[float]:
    """executeCommand → first agent_text_delta of that run, one run at a time."""
    samples: list[float] = []
    for i in range(3 + runs):
        t0 = time.perf_counter()
        run_id = await client.run_ensemble({"ensemble": "quick", "input": "go"})
        first = await client.arrival(("first_delta", run_id))
        await client.arrival(("finished", run_id))
        if i >= 3:
            samples.append(first - t0)
    return samples


async def _streaming(client: BenchClient, settings: Settings) -> dict[str, Any]:
    """One run of agents streaming `stream_pieces` pieces each over `stream_seconds`, all at
    once: what each agent's stream looks like to the client once coalesced."""
    t0 = time.perf_counter()
    run_id = await client.run_ensemble({"ensemble": "streaming", "input": "go"})
    first = await client.arrival(("first_delta", run_id))
    await client.arrival(("finished", run_id))
    per_agent: dict[str, dict[str, float]] = {}
    for (run, agent), arrivals in client.deltas.items():
        if run != run_id:
            continue
        window = arrivals[-1] - arrivals[0]
        per_agent[agent] = {
            "notifications": len(arrivals),
            "seconds": round(window, 3),
            "per_second": round((len(arrivals) - 1) / window, 1) if window > 0 else 0.0,
        }
    rates = [figures["per_second"] for figures in per_agent.values()]
    return {
        "first_text_ms": round((first - t0) * 1000, 3),
        "agents": per_agent,
        "pieces_per_agent": settings.stream_pieces,
        "pieces_per_second_per_agent": round(settings.stream_pieces / settings.stream_seconds, 1),
        "max_per_second": max(rates),
        "mean_per_second": round(sum(rates) / len(rates), 1),
    }


async def _while_running(
    client: BenchClient, project: Project, settings: Settings, ensemble_name: str, runs: int
) -> dict[str, Any]:
    """Latencies measured again while RUNS runs of ENSEMBLE_NAME stream text: didChange →
    diagnostics at each of BUSY_SIZES agents, and code actions. The runs are cancelled after."""
    run_ids = [
        await client.run_ensemble({"ensemble": ensemble_name, "input": "go"}) for _ in range(runs)
    ]
    for run_id in run_ids:
        await client.arrival(("first_delta", run_id))  # under way (the model loaded, if any)
    editors = {
        size: Editing(
            client, project.ensembles / f"edited-while-{ensemble_name}-{size}.yaml", ensemble(size)
        )
        for size in BUSY_SIZES
    }
    for editing in editors.values():
        await editing.opened()
    events_before, t0 = client.run_events, time.perf_counter()
    samples = {size: await _edits(editing, settings) for size, editing in editors.items()}
    code_actions, _ = await _code_actions(client, project, settings.code_actions)
    window = time.perf_counter() - t0
    events = client.run_events - events_before
    still_running = sum(("finished", run_id) not in client.arrived for run_id in run_ids)
    for run_id in run_ids:
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="llm-orc.cancelRun", arguments=[{"run_id": run_id}])
        )
    for editing in editors.values():
        editing.close()
    return {
        "diagnostics": samples,
        "code_actions": code_actions,
        "run_events_per_second": round(events / window, 1),
        "runs_still_running_at_the_end": still_running,
        "window_seconds": round(window, 3),
    }


LOCAL_ENSEMBLE = "name: local-busy\nagents:\n" + "".join(
    f"""\
  - name: writer-{i}
    model_profile: local
    system_prompt: You are a novelist who writes very long, detailed stories.
    prompt_template: Write a very long story about a dragon who learns to bake bread.
    max_tokens: 1500
    temperature: 0.7
"""
    for i in range(4)
)
"""Four long stories: the one local model writes them one after another (several seconds each)."""


# -- the benchmark ----------------------------------------------------------------------------


async def _measure(result: BenchmarkResult, settings: Settings, base: Path) -> None:
    project = _project(base, settings)
    samples: dict[str, list[float]] = {}
    summary: list[dict[str, Any]] = []
    unavailable: list[dict[str, str]] = []

    def record(
        key: str, label: str, seconds: list[float], target: float | None, note: str = ""
    ) -> None:
        """Figures for the p50 and p95 of SECONDS (the target applies to the p95)."""
        samples[key] = _ms(seconds)
        stats = _stats(samples[key])
        summary.append({"measurement": label, **stats, "note": note})
        result.add(f"{label} p50", stats["p50_ms"], "ms", note=note)
        result.add(f"{label} p95", stats["p95_ms"], "ms", target=target, note=note)

    # Session 1: an editor with push diagnostics and work-done progress (VS Code-like).
    client = BenchClient()
    await client.open_session(
        project.root, project.xdg, capabilities(pull=False, work_done_progress=True)
    )
    try:
        for size in SIZES:
            editing = Editing(client, project.ensembles / f"edited-{size}.yaml", ensemble(size))
            await editing.opened()
            seconds = await _edits(editing, settings)
            editing.close()
            target = TARGET_DIAGNOSTICS_MS if size == 500 else None
            record(f"diagnostics_{size}", f"didChange→diagnostics, {size} agents", seconds, target)

        path = project.ensembles / "entered-500.yaml"
        editing = Editing(client, path, ensemble(500), enter=True)
        await editing.opened()
        seconds = await _edits(editing, settings)
        editing.close()
        record(
            "diagnostics_enter_500",
            "didChange (Enter: a new line)→diagnostics, 500 agents",
            seconds,
            TARGET_DIAGNOSTICS_MS,
            note="each edit adds a line in the middle agent: the 250 agents after it move down",
        )

        seconds, actions = await _code_actions(client, project, settings.code_actions)
        record(
            "code_action",
            "codeAction (selection, Automatic)",
            seconds,
            TARGET_CODE_ACTION_MS,
            note=f"{actions} actions returned",
        )

        if client.advertises(RUN_ENSEMBLE):
            seconds = await _first_deltas(client, settings.runs)
            record(
                "first_delta_progress",
                "runEnsemble→first agent_text_delta (with progress)",
                seconds,
                TARGET_FIRST_DELTA_MS,
                note="client declares window.workDoneProgress",
            )
            streaming = await _streaming(client, settings)
            note = (
                f"{settings.stream_agents} agents, each streaming {settings.stream_pieces} pieces "
                f"({streaming['pieces_per_second_per_agent']}/s) at once"
            )
            result.add(
                "agent_text_delta notifications per second per streaming agent (max)",
                streaming["max_per_second"],
                "1/s",
                target=TARGET_DELTAS_PER_SECOND,
                note=note,
            )
            result.add(
                "runEnsemble→first text of a streaming run",
                streaming["first_text_ms"],
                "ms",
                target=TARGET_FIRST_DELTA_MS,
                note=note,
            )
            result.details["streaming"] = streaming
            busy = await _while_running(client, project, settings, "busy", settings.busy_runs)
            note = (
                f"{settings.busy_runs} runs x {settings.busy_agents + 1} agents streaming, "
                f"{busy['run_events_per_second']} runEvents/s"
            )
            if busy["runs_still_running_at_the_end"] < settings.busy_runs:
                note += f"; only {busy['runs_still_running_at_the_end']} still running at the end"
            for size, seconds in busy.pop("diagnostics").items():
                target = TARGET_BUSY_DIAGNOSTICS_MS if size == 500 else None
                label = f"didChange→diagnostics while runs generate, {size} agents"
                record(f"diagnostics_while_running_{size}", label, seconds, target, note=note)
            record(
                "code_action_while_running",
                "codeAction while runs generate",
                busy.pop("code_actions"),
                TARGET_CODE_ACTION_MS,
                note=note,
            )
            result.details["while_running"] = busy
            if importlib.util.find_spec("llama_cpp") is not None:
                local = await _while_running(client, project, settings, "local-busy", 1)
                note = "the embedded model generating in the server"
                if not local["runs_still_running_at_the_end"]:
                    note += " (it finished before the measurements did)"
                for size, seconds in local.pop("diagnostics").items():
                    target = TARGET_BUSY_DIAGNOSTICS_MS if size == 500 else None
                    label = f"didChange→diagnostics while the local model generates, {size} agents"
                    record(f"diagnostics_while_local_{size}", label, seconds, target, note=note)
                record(
                    "code_action_while_local",
                    "codeAction while the local model generates",
                    local.pop("code_actions"),
                    TARGET_CODE_ACTION_MS,
                    note=note,
                )
            else:
                unavailable.append(
                    {
                        "measurement": "latencies while the local model generates",
                        "status": "not available",
                        "reason": "llama-cpp-python is not installed",
                    }
                )
        else:
            unavailable.extend(
                {"measurement": what, "status": "not available", "reason": f"no {RUN_ENSEMBLE}"}
                for what in (
                    "runEnsemble→first agent_text_delta (with and without progress)",
                    "didChange→diagnostics and codeAction while runs generate",
                )
            )
    finally:
        await client.close_session()

    # Session 2: an editor that pulls diagnostics and shows no progress.
    client = BenchClient()
    await client.open_session(
        project.root, project.xdg, capabilities(pull=True, work_done_progress=False)
    )
    try:
        editing = Editing(client, project.ensembles / "pulled-500.yaml", ensemble(500))
        seconds = await _edits(editing, settings, pull=True)
        editing.close()
        record(
            "pull_500",
            "didChange→diagnostic pull answered, 500 agents",
            seconds,
            TARGET_DIAGNOSTICS_MS,
        )
        if client.advertises(RUN_ENSEMBLE):
            seconds = await _first_deltas(client, settings.runs)
            record(
                "first_delta_no_progress",
                "runEnsemble→first agent_text_delta (no progress)",
                seconds,
                TARGET_FIRST_DELTA_MS,
            )
    finally:
        await client.close_session()

    result.details["summary"] = summary
    if unavailable:
        result.details["not_available"] = unavailable
    result.details["samples_ms"] = samples


def run(quick: bool) -> BenchmarkResult:
    settings = Settings.of(quick)
    result = BenchmarkResult(NAME, TITLE)
    result.parameters = {
        "sizes": list(SIZES),
        "errors_per_ensemble": ERRORS,
        "edits": settings.edits,
        "warmup_edits": settings.warmup,
        "code_actions": settings.code_actions,
        "runs": settings.runs,
        "busy": {
            "runs": settings.busy_runs,
            "agents": settings.busy_agents + 1,
            "latency_seconds": settings.busy_latency,
            "chunks": settings.busy_chunks,
            "edited_agents": list(BUSY_SIZES),
        },
        "streaming": {
            "agents": settings.stream_agents,
            "pieces_per_agent": settings.stream_pieces,
            "seconds": settings.stream_seconds,
        },
        "percentile": "nearest rank",
    }
    with tempfile.TemporaryDirectory(prefix="llm-orc-bench-lsp-") as base:
        asyncio.run(_measure(result, settings, Path(base)))
    return result
