"""What a run loads before its clock starts: its providers' `preload()` (their SDKs), in a
thread, before `ensemble_started`; a failing preload is the agent's business; a cancel while it
loads still ends the run whole."""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar

from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.events import RunEvent
from llm_orc.execution.result import AgentStatus, RunStatus
from llm_orc.execution.scheduler import EnsembleRun
from llm_orc.providers.base import Generation, GenerationRequest, TextSink
from llm_orc.providers.registry import register_provider
from support.ensembles import agent, ensemble, scripted_profiles


class PreloadingProvider:
    """Records where its `preload` ran and what the run had emitted by then; `gate` holds the
    preload until the test lets it go."""

    name: ClassVar[str] = "preloading"
    default_max_concurrency: ClassVar[int | None] = None

    def __init__(self, *, fails: bool = False) -> None:
        self.fails = fails
        self.calls = 0
        self.thread: threading.Thread | None = None
        self.events_before: list[str] | None = None
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.seen: list[RunEvent] = []

    def preload(self) -> None:
        self.calls += 1
        self.thread = threading.current_thread()
        self.events_before = [event.type for event in self.seen]
        self.entered.set()
        self.gate.wait(timeout=30)
        if self.fails:
            raise ImportError("no module named 'imaginary_sdk'")

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        on_text("hi")
        return Generation("hi", 1, 1, request.model)


def _setup(provider: PreloadingProvider) -> dict[str, ModelProfile]:
    register_provider("preloading", provider)
    profiles = scripted_profiles()
    profiles["pre"] = ModelProfile(name="pre", model="m", provider="preloading")
    return profiles


async def test_a_providers_sdk_is_preloaded_once_in_a_thread_before_the_run_starts() -> None:
    provider = PreloadingProvider()
    profiles = _setup(provider)
    ens = ensemble(*(agent(f"a{i}", profile="pre") for i in range(3)), agent("s"))
    run = EnsembleRun(ens, "task", profiles, emit=provider.seen.append)
    result = await run.execute()
    assert result.status is RunStatus.SUCCEEDED
    assert provider.calls == 1  # three agents, one provider: asked once
    assert provider.thread is not None and provider.thread is not threading.main_thread()
    assert provider.events_before == []  # before ensemble_started: not on the run's clock
    assert provider.seen[0].type == "ensemble_started"


async def test_a_failing_preload_is_left_to_the_agent_and_the_run_goes_on() -> None:
    provider = PreloadingProvider(fails=True)
    profiles = _setup(provider)
    ens = ensemble(agent("a", profile="pre"))
    run = EnsembleRun(ens, "task", profiles, emit=provider.seen.append)
    result = await run.execute()
    assert provider.calls == 1
    assert result.agent("a").status is AgentStatus.SUCCEEDED


async def test_a_cancel_while_preloading_ends_the_run_whole_with_every_agent_skipped() -> None:
    provider = PreloadingProvider()
    provider.gate.clear()
    profiles = _setup(provider)
    ens = ensemble(agent("a", profile="pre"), agent("b", "a"))
    run = EnsembleRun(ens, "task", profiles, emit=provider.seen.append)
    task = asyncio.create_task(run.execute())
    await asyncio.to_thread(provider.entered.wait, 30)
    run.cancel()
    provider.gate.set()
    result = await task
    assert result.status is RunStatus.CANCELLED
    assert {a.status for a in result.agents} == {AgentStatus.SKIPPED}
    types = [event.type for event in provider.seen]
    assert types[0] == "ensemble_started" and types[-1] == "ensemble_finished"


async def test_the_task_cancelled_while_preloading_still_announces_a_result() -> None:
    provider = PreloadingProvider()
    provider.gate.clear()
    profiles = _setup(provider)
    run = EnsembleRun(
        ensemble(agent("a", profile="pre")), "task", profiles, emit=provider.seen.append
    )
    task = asyncio.create_task(run.execute())
    await asyncio.to_thread(provider.entered.wait, 30)
    task.cancel()
    provider.gate.set()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the caller's cancellation must reach the caller")
    assert run.result is not None and run.result.status is RunStatus.CANCELLED
    assert [event.type for event in provider.seen][-1] == "ensemble_finished"
