"""Ctrl-C and SIGTERM end `llm-orc invoke`, whatever the process inherited and whenever they
arrive. Every wait here is on something the process did (a FIFO it opened or wrote), never on
time; the timeouts only turn a hang into a failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

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


def _first_line(fifo: Path) -> str:
    """The first line written to FIFO (the run announces its generating agent there)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(lambda: fifo.open(encoding="utf-8").readline())
        try:
            return future.result(timeout=HANG_SECONDS)
        except TimeoutError:
            with fifo.open("w", encoding="utf-8"):
                pass  # an empty writer unblocks the reader
            raise AssertionError("the run never started its hanging agent") from None


def _interrupt_ensemble(project: Path, fifo: Path) -> None:
    (project / "interrupt.yaml").write_text(
        "name: interrupt\nagents:\n"
        "  - name: quick\n    model_profile: fake\n"
        "  - name: stuck\n    model_profile: stuck\n    depends_on: [quick]\n"
        f"    options: {{hang: true, announce_to: '{fifo}'}}\n"
        "  - name: never\n    model_profile: fake\n    depends_on: [stuck]\n",
        encoding="utf-8",
    )


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
    project: Path, tmp_path: Path, signum: signal.Signals, preexec: Callable[[], None] | None
) -> None:
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    _interrupt_ensemble(project, fifo)
    process = _start(project, "invoke", "interrupt.yaml", "go", "-o", "json", preexec=preexec)
    try:
        assert _first_line(fifo) == "stuck\n"  # `stuck` is generating
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=HANG_SECONDS)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "cancelling the run" in stderr
    document = json.loads(stdout)
    assert document["status"] == "cancelled"
    statuses = {agent["name"]: agent["status"] for agent in document["agents"]}
    assert statuses == {"quick": "succeeded", "stuck": "cancelled", "never": "skipped"}
    assert document["agents"][0]["output"] == "quick read: go"


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
