"""Provider and profile caps hold across every run of the process; a run's own cap is its own."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.events import AgentQueued, AgentStarted, RunEvent
from llm_orc.execution.result import AgentStatus, RunResult, RunStatus
from llm_orc.execution.scheduler import EnsembleRun, RunOptions
from llm_orc.providers.base import Generation, GenerationRequest, TextSink
from llm_orc.providers.registry import register_provider
from support.ensembles import agent, ensemble, scripted_profiles

GUARD_SECONDS = 10.0


class Gated:
    """Generates only when the test opens the gate; records how many generate at once."""

    name: ClassVar[str] = "gated"

    def __init__(self, cap: int | None) -> None:
        self.default_max_concurrency = cap
        self.gate = asyncio.Event()
        self.active = 0
        self.peak = 0
        self.generating = asyncio.Event()

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        self.active += 1
        self.peak = max(self.peak, self.active)
        self.generating.set()
        try:
            await self.gate.wait()
        finally:
            self.active -= 1
        on_text("done")
        return Generation("done", 1, 1, request.model)


def gated_profiles(provider: Gated, **profile: object) -> dict[str, ModelProfile]:
    register_provider("gated", provider)  # type: ignore[arg-type]  # cap set per instance
    profiles = scripted_profiles()
    profiles["g"] = ModelProfile(name="g", model="m", provider="gated", **profile)  # type: ignore[arg-type]
    return profiles


class Watched:
    """A run, its events, and an asyncio.Event per event type seen."""

    def __init__(
        self, ens: Ensemble, profiles: dict[str, ModelProfile], options: RunOptions | None = None
    ) -> None:
        self.events: list[RunEvent] = []
        self.seen: dict[str, asyncio.Event] = {}
        self.run = EnsembleRun(ens, "task", profiles, emit=self._on_event, options=options)
        self.task: asyncio.Task[RunResult] = asyncio.create_task(self.run.execute())

    def _on_event(self, event: RunEvent) -> None:
        self.events.append(event)
        self.when(event.type).set()

    def when(self, event_type: str) -> asyncio.Event:
        return self.seen.setdefault(event_type, asyncio.Event())

    async def result(self) -> RunResult:
        return await asyncio.wait_for(self.task, GUARD_SECONDS)


async def test_two_runs_on_a_provider_capped_at_one_never_overlap_and_the_second_is_queued() -> (
    None
):
    provider = Gated(cap=1)
    profiles = gated_profiles(provider)
    first = Watched(ensemble(agent("x", profile="g")), profiles)
    await asyncio.wait_for(first.when("agent_started").wait(), GUARD_SECONDS)
    second = Watched(ensemble(agent("y", profile="g", timeout_seconds=0.2)), profiles)
    await asyncio.wait_for(second.when("agent_queued").wait(), GUARD_SECONDS)

    queued = [e for e in second.events if isinstance(e, AgentQueued)]
    assert [(e.agent, e.waiting_for) for e in queued] == [
        ("y", "a slot of provider 'gated' (1 at a time)")
    ]
    assert second.run.results["y"].status is AgentStatus.QUEUED
    assert not [e for e in second.events if isinstance(e, AgentStarted)]
    # Queued longer than its own timeout: the timeout only starts once it holds its slot.
    await asyncio.sleep(0.4)
    assert second.run.results["y"].status is AgentStatus.QUEUED
    provider.gate.set()
    a, b = await first.result(), await second.result()
    assert (a.status, b.status) == (RunStatus.SUCCEEDED, RunStatus.SUCCEEDED)
    assert provider.peak == 1
    started = [e for e in second.events if isinstance(e, AgentStarted)]
    assert len(started) == 1 and started[0].seq > queued[0].seq


async def test_a_profile_cap_holds_across_runs() -> None:
    provider = Gated(cap=None)
    profiles = gated_profiles(provider, max_concurrency=1)
    first = Watched(ensemble(agent("x", profile="g")), profiles)
    await asyncio.wait_for(first.when("agent_started").wait(), GUARD_SECONDS)
    second = Watched(ensemble(agent("y", profile="g")), profiles)
    await asyncio.wait_for(second.when("agent_queued").wait(), GUARD_SECONDS)
    (queued,) = [e for e in second.events if isinstance(e, AgentQueued)]
    assert queued.waiting_for == "a slot of profile 'g' (1 at a time)"
    provider.gate.set()
    await first.result()
    await second.result()
    assert provider.peak == 1


async def test_a_runs_own_cap_is_its_own() -> None:
    provider = Gated(cap=None)
    profiles = gated_profiles(provider)
    options = RunOptions(max_concurrency=1)
    first = Watched(ensemble(agent("x", profile="g"), agent("x2", profile="g")), profiles, options)
    await asyncio.wait_for(first.when("agent_queued").wait(), GUARD_SECONDS)
    (queued,) = [e for e in first.events if isinstance(e, AgentQueued)]
    assert (queued.agent, queued.waiting_for) == ("x2", "a slot of the run (1 at a time)")
    provider.generating.clear()
    second = Watched(ensemble(agent("y", profile="g")), profiles, options)
    await asyncio.wait_for(second.when("agent_started").wait(), GUARD_SECONDS)
    assert provider.active == 2  # first's x and second's y generate at once
    assert not [e for e in second.events if isinstance(e, AgentQueued)]
    provider.gate.set()
    await first.result()
    await second.result()


async def test_a_cancelled_queued_agent_gives_its_place_back() -> None:
    provider = Gated(cap=1)
    profiles = gated_profiles(provider)
    first = Watched(ensemble(agent("x", profile="g")), profiles)
    await asyncio.wait_for(first.when("agent_started").wait(), GUARD_SECONDS)
    second = Watched(ensemble(agent("y", profile="g")), profiles)
    await asyncio.wait_for(second.when("agent_queued").wait(), GUARD_SECONDS)
    second.run.cancel()
    cancelled = await second.result()
    assert cancelled.agent("y").status is AgentStatus.CANCELLED
    assert cancelled.agent("y").attempts == 0
    provider.gate.set()
    await first.result()
    third = Watched(ensemble(agent("z", profile="g")), profiles)
    assert (await third.result()).status is RunStatus.SUCCEEDED  # the slot is free again
