"""Ctrl-C in `llm-orc invoke`, in process: real signals sent to this process, at every event."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from llm_orc.cli.interrupts import Interrupts
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.events import AgentStarted, RunEvent
from llm_orc.execution.result import AgentStatus, RunResult, RunStatus
from llm_orc.execution.scheduler import EnsembleRun
from llm_orc.providers.base import Generation, GenerationRequest, TextSink
from llm_orc.providers.registry import register_provider
from support.ensembles import agent, ensemble, scripted_profiles

GUARD_SECONDS = 10.0
FINAL = {AgentStatus.SUCCEEDED, AgentStatus.FAILED, AgentStatus.SKIPPED, AgentStatus.CANCELLED}


@pytest.fixture(autouse=True)
def keep_signal_handlers() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


class FakeExit:
    def __init__(self) -> None:
        self.codes: list[int] = []

    def __call__(self, code: int) -> None:
        self.codes.append(code)


def interrupts() -> tuple[Interrupts, FakeExit, io.StringIO]:
    exit_now, stderr = FakeExit(), io.StringIO()
    return Interrupts(exit_now=exit_now, stderr=stderr), exit_now, stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("inherited", [signal.SIG_DFL, signal.SIG_IGN])
def test_before_the_run_a_signal_interrupts_even_if_the_process_started_ignoring_it(
    signum: signal.Signals, inherited: signal.Handlers
) -> None:
    if signum == signal.SIGINT and inherited == signal.SIG_DFL:
        inherited = signal.default_int_handler  # type: ignore[assignment]
    signal.signal(signum, inherited)
    handling, _, _ = interrupts()
    handling.install()
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signum)
        signal.sigtimedwait([], 0)  # a point where Python runs pending handlers (no waiting)
    handling.restore()
    assert signal.getsignal(signum) == inherited


def stuck_profiles() -> dict[str, ModelProfile]:
    return scripted_profiles(hang={"options": {"hang": True}})


def stuck_run(on_event: Callable[[RunEvent], None]) -> EnsembleRun:
    return EnsembleRun(
        ensemble(agent("quick"), agent("stuck", "quick", profile="hang"), agent("never", "stuck")),
        "go",
        stuck_profiles(),
        emit=on_event,
    )


async def drive(
    handling: Interrupts, when: Callable[[RunEvent, list[RunEvent]], int]
) -> tuple[RunResult, list[RunEvent]]:
    """Run the stuck ensemble under HANDLING; WHEN(event, events) says how many SIGINTs to send
    to this process at that event."""
    events: list[RunEvent] = []

    def on_event(event: RunEvent) -> None:
        events.append(event)
        for _ in range(when(event, events)):
            os.kill(os.getpid(), signal.SIGINT)

    run = stuck_run(on_event)

    async def main() -> RunResult:
        handling.install()
        handling.attach(run)
        try:
            return await run.execute()
        finally:
            handling.detach()

    result = await asyncio.wait_for(main(), GUARD_SECONDS)
    handling.restore()
    return result, events


async def test_the_first_signal_cancels_the_run_and_keeps_what_finished() -> None:
    handling, exit_now, stderr = interrupts()

    def when(event: RunEvent, events: list[RunEvent]) -> int:
        return 1 if isinstance(event, AgentStarted) and event.agent == "stuck" else 0

    result, _ = await drive(handling, when)
    assert result.status is RunStatus.CANCELLED
    statuses = {a.name: a.status for a in result.agents}
    assert statuses == {
        "quick": AgentStatus.SUCCEEDED,
        "stuck": AgentStatus.CANCELLED,
        "never": AgentStatus.SKIPPED,
    }
    assert exit_now.codes == []
    assert "cancelling the run" in stderr.getvalue()


async def test_a_signal_at_any_event_ends_the_run_with_its_result() -> None:
    # 1 ensemble started, 2 quick started, 3-4 its text, 5 quick finished (6: stuck started,
    # the test above); after that nothing happens until a signal.
    for k in range(1, 6):
        handling, exit_now, _ = interrupts()
        result, events = await drive(handling, lambda event, events, k=k: int(len(events) == k))
        assert {a.status for a in result.agents} <= FINAL, k
        assert result.status is RunStatus.CANCELLED, k
        assert events[-1].type == "ensemble_finished"
        assert exit_now.codes == []


class SlowToStop:
    """When cancelled, takes a few loop turns to clean up; the user presses Ctrl-C again then."""

    name: ClassVar[str] = "slow-to-stop-again"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(3):
                await asyncio.sleep(0)
            raise
        raise AssertionError("unreachable")


async def test_a_second_signal_while_the_run_stops_exits_at_once_after_restoring_the_terminal() -> (
    None
):
    register_provider("slow-to-stop-again", SlowToStop())
    profiles = scripted_profiles()
    profiles["slow"] = ModelProfile(name="slow", model="m", provider="slow-to-stop-again")
    handling, exit_now, stderr = interrupts()
    restored: list[str] = []
    handling.before_exit(lambda: restored.append("terminal"))

    def on_event(event: RunEvent) -> None:
        if isinstance(event, AgentStarted):
            os.kill(os.getpid(), signal.SIGINT)

    run = EnsembleRun(ensemble(agent("slow", profile="slow")), "go", profiles, emit=on_event)

    async def main() -> RunResult:
        handling.install()
        handling.attach(run)
        try:
            return await run.execute()
        finally:
            handling.detach()

    result = await asyncio.wait_for(main(), GUARD_SECONDS)
    handling.restore()
    assert exit_now.codes == [130]
    assert restored == ["terminal"]
    assert "interrupted again: exiting without the result" in stderr.getvalue()
    assert result.status is RunStatus.CANCELLED  # (the fake exit let the run end anyway)


class SignalFromThread:
    """Generates in a worker thread, which is where the operating system delivers the signal."""

    name: ClassVar[str] = "signal-from-thread"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        def work() -> None:
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)

        await asyncio.to_thread(work)
        await asyncio.Event().wait()  # then hang: only the signal can end the run
        raise AssertionError("unreachable")


async def test_a_signal_delivered_to_a_model_thread_still_cancels_the_run() -> None:
    register_provider("signal-from-thread", SignalFromThread())
    profiles = scripted_profiles()
    profiles["t"] = ModelProfile(name="t", model="m", provider="signal-from-thread")
    run = EnsembleRun(ensemble(agent("t", profile="t")), "go", profiles, emit=lambda e: None)
    handling, _, _ = interrupts()

    async def main() -> RunResult:
        handling.install()
        handling.attach(run)
        try:
            return await run.execute()
        finally:
            handling.detach()

    result = await asyncio.wait_for(main(), GUARD_SECONDS)
    handling.restore()
    assert result.status is RunStatus.CANCELLED
    assert result.agent("t").status is AgentStatus.CANCELLED


def test_signals_while_the_loop_shuts_down_after_the_run_finish_then_exit() -> None:
    from llm_orc.cli.event_loop import run_bounded

    handling, exit_now, stderr = interrupts()
    run = EnsembleRun(ensemble(agent("a")), "go", scripted_profiles(), emit=lambda e: None)

    async def leftover() -> None:  # provider work still going when the run has ended
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:  # the teardown cancels it: the user presses Ctrl-C twice
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(0)
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(3):
                await asyncio.sleep(0)
            raise

    tasks: list[asyncio.Task[None]] = []

    async def main() -> RunResult:
        handling.install()
        handling.attach(run)
        tasks.append(asyncio.create_task(leftover()))
        return await run.execute()

    try:
        finished = run_bounded(main(), grace=GUARD_SECONDS)
    finally:
        handling.restore()
    assert finished.value.status is RunStatus.SUCCEEDED
    assert "finishing (interrupt again to exit at once)" in stderr.getvalue()
    assert exit_now.codes == [130]


def test_ctrl_c_while_the_command_is_still_being_set_up_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from llm_orc.cli import main as cli

    (tmp_path / "interrupted_while_importing.py").write_text("raise KeyboardInterrupt\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli._COMMANDS, "invoke", "interrupted_while_importing")
    assert cli.main(["invoke", "x"]) == 130
    assert capsys.readouterr().err == "llm-orc: interrupted\n"
