"""`llm-orc invoke` and its formatter: a formatter that fails stops the run and is reported."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from llm_orc.cli.interrupts import Interrupts
from llm_orc.cli.invoke import _execute
from llm_orc.execution.events import AgentStarted, RunEvent
from llm_orc.execution.result import RunResult
from llm_orc.execution.scheduler import RunOptions
from llm_orc.formatters.base import FormatterError
from support.ensembles import agent, ensemble, scripted_profiles


class _FailsOnStart:
    """Raises when the hanging agent starts; records every event it was given."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.seen: list[RunEvent] = []

    def handle(self, event: RunEvent) -> None:
        self.seen.append(event)
        if isinstance(event, AgentStarted) and event.agent == "stuck":
            raise self.error

    def finish(self, result: RunResult) -> None:
        raise AssertionError("finish is not reached when handle failed")


def _run(formatter: _FailsOnStart) -> None:
    profiles = scripted_profiles(stuck={"options": {"hang": True}})
    ens = ensemble(agent("quick"), agent("stuck", "quick", profile="stuck"))
    workspace = SimpleNamespace(profiles=profiles)
    interrupts = Interrupts()
    interrupts.install()
    try:
        _execute(ens, "go", workspace, RunOptions(), formatter, interrupts)  # type: ignore[arg-type]
    finally:
        interrupts.restore()


def test_a_failing_formatter_stops_the_run_and_is_one_line() -> None:
    formatter = _FailsOnStart(ValueError("bad state"))
    with pytest.raises(FormatterError) as caught:
        _run(formatter)  # `stuck` hangs: without the guard this would never return
    assert str(caught.value) == "the output formatter failed: ValueError: bad state"
    assert isinstance(formatter.seen[-1], AgentStarted)  # nothing handed over after the failure


def test_a_closed_pipe_is_passed_on_as_it_is() -> None:
    with pytest.raises(BrokenPipeError):
        _run(_FailsOnStart(BrokenPipeError(32, "Broken pipe")))
