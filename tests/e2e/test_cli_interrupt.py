"""Ctrl-C and SIGTERM end `llm-orc invoke`, whatever the process inherited and whenever they
arrive. Every wait here is on something the process did (an event it wrote on `-o jsonl`, a FIFO
it opened), never on time; the timeouts only turn a hang into a failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.event_lines import EventLines
from support.local_model import MISSING

HANG_SECONDS = 30

CONFIG = """\
model_profiles:
  fake:
    provider: scripted
    model: fake-model
    options:
      reply: "{agent} read: {input}"
  stuck:
    provider: scripted
    model: fake-model
    options: {hang: true}
"""


def _command() -> list[str]:
    script = Path(sys.executable).parent / "llm-orc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_orc.cli.main"]


@pytest.fixture
def project(tmp_path: Path, isolated_config: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".llm-orc").mkdir(parents=True)
    (root / ".llm-orc" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    return root


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what a shell does for a background command


def _start(
    project: Path, *args: str, preexec: Callable[[], None] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*_command(), *args],
        cwd=project,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,  # sets signal dispositions only, before exec
    )


def _interrupt_ensemble(project: Path) -> None:
    (project / "interrupt.yaml").write_text(
        "name: interrupt\nagents:\n"
        "  - name: quick\n    model_profile: fake\n"
        "  - name: stuck\n    model_profile: stuck\n    depends_on: [quick]\n"
        "  - name: never\n    model_profile: fake\n    depends_on: [stuck]\n",
        encoding="utf-8",
    )


def _generating(event: dict[str, Any]) -> bool:
    return event["type"] == "agent_started" and event["agent"] == "stuck"


@pytest.mark.parametrize(
    ("signum", "preexec"),
    [
        (signal.SIGINT, None),
        (signal.SIGINT, _ignore_sigint),  # failed before: SIGINT ignored, the run hung forever
        (signal.SIGTERM, None),
    ],
    ids=["sigint", "sigint-inherited-ignored", "sigterm"],
)
def test_a_signal_while_an_agent_generates_cancels_cleanly_and_keeps_what_finished(
    project: Path, signum: signal.Signals, preexec: Callable[[], None] | None
) -> None:
    _interrupt_ensemble(project)
    process = _start(project, "invoke", "interrupt.yaml", "go", "-o", "jsonl", preexec=preexec)
    try:
        assert process.stdout is not None and process.stderr is not None
        lines = EventLines(process.stdout)
        lines.until(_generating, timeout=HANG_SECONDS)  # `stuck` is generating (and hangs)
        process.send_signal(signum)
        events = lines.rest(timeout=HANG_SECONDS)
        process.wait(timeout=HANG_SECONDS)
        stderr = process.stderr.read()
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "cancelling the run" in stderr
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "ensemble_finished"
    document = events[-1]["result"]
    assert document["status"] == "cancelled"
    statuses = {agent["name"]: agent["status"] for agent in document["agents"]}
    assert statuses == {"quick": "succeeded", "stuck": "cancelled", "never": "skipped"}
    assert document["agents"][0]["output"] == "quick read: go"
    assert ("agent_cancelled", "stuck") in {(e["type"], e.get("agent")) for e in events}


@pytest.mark.parametrize("preexec", [None, _ignore_sigint], ids=["default", "inherited-ignored"])
def test_ctrl_c_before_the_run_starts_exits_at_once_without_a_traceback(
    project: Path, tmp_path: Path, preexec: Callable[[], None] | None
) -> None:
    (project / "one.yaml").write_text(
        "name: one\nagents:\n  - name: a\n    model_profile: fake\n", encoding="utf-8"
    )
    material = tmp_path / "material"
    os.mkfifo(material)
    process = _start(
        project, "invoke", "one.yaml", "-f", str(material), "-o", "json", preexec=preexec
    )
    try:
        # Opening the FIFO for writing returns once the process has opened it to read its
        # input: it is past setting up its signal handling and blocked before the run starts.
        with material.open("w", encoding="utf-8"):
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=HANG_SECONDS)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert stderr == "llm-orc: interrupted\n"
    assert stdout == ""


BLOCKING_PLUGIN = """
import asyncio
import threading


class BlockingProvider:
    name = "blocking"
    default_max_concurrency = None

    async def generate(self, request, on_text):
        # A client call that never returns, in a thread: cancelling the await leaves it there.
        # It says so once the thread is in the call, so the test interrupts only after that.
        loop = asyncio.get_running_loop()

        def call():
            loop.call_soon_threadsafe(on_text, "blocked in a call")
            threading.Event().wait()

        await asyncio.to_thread(call)
"""


def _plugin_site(tmp_path: Path) -> Path:
    """A folder with the `blocking` provider and its dist-info: installed once on PYTHONPATH."""
    site = tmp_path / "site"
    dist = site / "blocking_provider-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "blocking_provider.py").write_text(BLOCKING_PLUGIN, encoding="utf-8")
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: blocking-provider\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[llm_orc.providers]\nblocking = blocking_provider:BlockingProvider\n", encoding="utf-8"
    )
    return site


def test_a_thread_a_provider_leaves_blocked_does_not_keep_the_cli_running(
    project: Path, tmp_path: Path
) -> None:
    (project / "blocked.yaml").write_text(
        "name: blocked\nagents:\n"
        "  - name: quick\n    model_profile: fake\n"
        "  - name: stuck\n    model: m\n    provider: blocking\n",
        encoding="utf-8",
    )
    paths = [str(_plugin_site(tmp_path)), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    process = subprocess.Popen(
        [*_command(), "invoke", "blocked.yaml", "go", "-o", "jsonl"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        lines = EventLines(process.stdout)
        lines.until(
            lambda e: e["type"] == "agent_text_delta" and e["agent"] == "stuck", HANG_SECONDS
        )  # the thread is blocked in its call
        process.send_signal(signal.SIGINT)
        events = lines.rest(timeout=HANG_SECONDS)
        process.wait(timeout=HANG_SECONDS)  # before: asyncio.run waited for the thread forever
        stderr = process.stderr.read()
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert events[-1]["type"] == "ensemble_finished"
    assert events[-1]["result"]["status"] == "cancelled"
    assert "did not stop after the run ended; exiting without waiting for them" in stderr
    assert "Traceback" not in stderr


@pytest.mark.local_model
@pytest.mark.skipif(bool(MISSING), reason="the embedded model is not installed")
def test_ctrl_c_while_the_local_model_writes_ends_the_cli_with_the_result(project: Path) -> None:
    (project / "local.yaml").write_text(
        "name: local\nagents:\n  - name: writer\n    model_profile: local\n"
        "    max_tokens: 2000\n    system_prompt: Write a very long story.\n",
        encoding="utf-8",
    )
    process = _start(project, "invoke", "local.yaml", "Once upon a time", "-o", "jsonl")
    try:
        assert process.stdout is not None and process.stderr is not None
        lines = EventLines(process.stdout)
        lines.until(lambda e: e["type"] == "agent_text_delta", timeout=120)  # it is writing
        process.send_signal(signal.SIGINT)
        events = lines.rest(timeout=HANG_SECONDS)
        process.wait(timeout=HANG_SECONDS)
        stderr = process.stderr.read()
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    result = events[-1]["result"]
    assert result["status"] == "cancelled"
    assert result["agents"][0]["status"] == "cancelled"
