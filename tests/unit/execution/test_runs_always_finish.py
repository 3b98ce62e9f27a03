"""The run invariant: exactly one `EnsembleStarted` first, exactly one `EnsembleFinished` last,
carrying a result in which every agent has a final status — whatever hooks, providers and
cancellations do. Each way of breaking it is driven deterministically, at every event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.events import (
    AgentFailed,
    AgentFinished,
    AgentRetrying,
    AgentStarted,
    AgentTextDelta,
    EnsembleFinished,
    EnsembleStarted,
    RunEvent,
)
from llm_orc.execution.result import AgentStatus, RunResult, RunStatus
from llm_orc.execution.scheduler import EnsembleRun, RunOptions
from llm_orc.providers.base import (
    Generation,
    GenerationRequest,
    ProviderError,
    TextSink,
    TransientProviderError,
)
from llm_orc.providers.registry import register_provider
from support.ensembles import agent, ensemble, scripted_profiles

FINAL = (AgentStatus.SUCCEEDED, AgentStatus.FAILED, AgentStatus.SKIPPED, AgentStatus.CANCELLED)
GUARD_SECONDS = 10.0
"""Only a guard against a hang (the bug itself): every run here ends in milliseconds."""


def assert_invariant(events: list[RunEvent], result: RunResult | None) -> RunResult:
    assert result is not None, "the run has no result"
    assert isinstance(events[0], EnsembleStarted)
    finished = [e for e in events if isinstance(e, EnsembleFinished)]
    assert len(finished) == 1 and events[-1] is finished[0]
    assert finished[0].result is result
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(a.status in FINAL for a in result.agents), [
        (a.name, a.status) for a in result.agents
    ]
    return result


def mixed_profiles() -> dict[str, ModelProfile]:
    return scripted_profiles(
        broken={"options": {"error": "model exploded"}},
        flaky={"options": {"fail_attempts": 1}},
        backup={"options": {"reply": "from backup"}},
        capped={"options": {"latency_seconds": 0.001}, "max_concurrency": 1},
    )


def mixed_ensemble() -> Ensemble:
    """Successes, a retry, a failure with a skipped dependent, a fallback and queued agents."""
    return ensemble(
        agent("a"),
        agent("b", "a", profile="flaky", retries={"count": 1, "initial_delay_seconds": 0}),
        agent("bad", profile="broken"),
        agent("after_bad", "bad"),
        agent("saved", profile="broken", fallback_model_profile="backup"),
        agent("c1", profile="capped"),
        agent("c2", profile="capped"),
        agent("end", "b", "c1", "c2", "saved"),
    )


@dataclass
class Outcome:
    run: EnsembleRun
    events: list[RunEvent]
    error: BaseException | None
    """What the run's task ended with: None, CancelledError or an exception."""


Hook = Callable[[RunEvent, list[RunEvent], "asyncio.Task[RunResult]"], None]


async def execute(hook: Hook, ens: Ensemble | None = None, **options: object) -> Outcome:
    """Run ENS with HOOK(event, events so far, the run's task) as its event hook."""
    events: list[RunEvent] = []
    task: asyncio.Task[RunResult]

    def on_event(event: RunEvent) -> None:
        events.append(event)
        hook(event, events, task)

    run = EnsembleRun(
        ens or mixed_ensemble(),
        "task",
        mixed_profiles(),
        emit=on_event,
        options=RunOptions(**options),  # type: ignore[arg-type]
    )
    task = asyncio.create_task(run.execute())
    done, _ = await asyncio.wait([task], timeout=GUARD_SECONDS)
    assert done, "the run hangs"
    error = asyncio.CancelledError() if task.cancelled() else task.exception()
    return Outcome(run, events, error)


def no_hook(event: RunEvent, events: list[RunEvent], task: asyncio.Task[RunResult]) -> None:
    pass


async def reference_length() -> int:
    outcome = await execute(no_hook)
    assert outcome.error is None
    return len(outcome.events)


async def test_the_reference_run_covers_the_interesting_events() -> None:
    outcome = await execute(no_hook)
    result = assert_invariant(outcome.events, outcome.run.result)
    kinds = {type(e).__name__ for e in outcome.events}
    assert {"AgentQueued", "AgentRetrying", "AgentFallback", "AgentFailed", "AgentSkipped"} <= kinds
    assert result.status is RunStatus.PARTIAL


async def test_a_hook_that_raises_at_any_event_never_breaks_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    total = await reference_length()
    for k in range(1, total + 1):
        caplog.clear()

        def hook(event: RunEvent, events: list[RunEvent], task: object, k: int = k) -> None:
            if len(events) == k:
                raise RuntimeError(f"hook bug at event {k}")

        outcome = await execute(hook)
        assert outcome.error is None, k
        result = assert_invariant(outcome.events, outcome.run.result)
        assert len(outcome.events) == total and result.status is RunStatus.PARTIAL
        failures = [r for r in caplog.records if "on_event hook raised" in r.getMessage()]
        assert len(failures) == 1 and failures[0].levelno == logging.WARNING


async def test_a_hook_that_always_raises_is_reported_once_and_still_gets_every_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def hook(event: RunEvent, events: list[RunEvent], task: object) -> None:
        raise ValueError("always")

    outcome = await execute(hook)
    assert outcome.error is None
    assert_invariant(outcome.events, outcome.run.result)
    failures = [r for r in caplog.records if "on_event hook raised" in r.getMessage()]
    assert len(failures) == 1  # once, not once per event; the run still told it everything
    assert len(outcome.events) == await reference_length()


async def test_cancelling_the_run_at_any_event_keeps_the_result() -> None:
    total = await reference_length()
    for k in range(1, total):  # at the last event, EnsembleFinished, the run has ended

        def hook(
            event: RunEvent, events: list[RunEvent], task: asyncio.Task[RunResult], k: int = k
        ) -> None:
            if len(events) == k:
                task.cancel()

        outcome = await execute(hook)
        result = assert_invariant(outcome.events, outcome.run.result)
        assert isinstance(outcome.error, asyncio.CancelledError), k
        assert result.status is RunStatus.CANCELLED, k


async def test_cancelling_the_task_of_the_agent_whose_event_it_is_never_hangs_the_run() -> None:
    total = await reference_length()
    for k in range(1, total + 1):

        def hook(event: RunEvent, events: list[RunEvent], task: object, k: int = k) -> None:
            current = asyncio.current_task()
            if len(events) == k and current is not None and current is not task:
                current.cancel()  # the task of an agent, not the run's

        outcome = await execute(hook)
        assert outcome.error is None, k
        assert_invariant(outcome.events, outcome.run.result)


async def test_run_cancel_works_before_the_run_starts_and_while_it_goes() -> None:
    before = EnsembleRun(mixed_ensemble(), "task", mixed_profiles(), emit=lambda e: None)
    before.cancel()
    result = await before.execute()
    assert result.status is RunStatus.CANCELLED
    assert {a.status for a in result.agents} == {AgentStatus.SKIPPED}
    assert result.agents[0].error == "the run was cancelled before it started"

    run: EnsembleRun
    events: list[RunEvent] = []

    def on_event(event: RunEvent) -> None:
        events.append(event)
        if isinstance(event, AgentStarted) and event.agent == "b":
            run.cancel()
            run.cancel()  # twice is once

    run = EnsembleRun(mixed_ensemble(), "task", mixed_profiles(), emit=on_event)
    result = await asyncio.wait_for(run.execute(), GUARD_SECONDS)  # returns: no CancelledError
    assert_invariant(events, result)
    assert result.status is RunStatus.CANCELLED
    assert result.agent("a").status is AgentStatus.SUCCEEDED
    assert result.agent("b").status is AgentStatus.CANCELLED


class SlowToStop:
    """Cleans up for a moment when cancelled (like a client closing its connection), calling
    `on_cleanup` first: the test cancels the run again right there."""

    name: ClassVar[str] = "slow-to-stop"
    default_max_concurrency: ClassVar[int | None] = None
    on_cleanup: Callable[[], None] = staticmethod(lambda: None)

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            type(self).on_cleanup()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            raise
        raise AssertionError("unreachable")


def slow_profiles() -> dict[str, ModelProfile]:
    register_provider("slow-to-stop", SlowToStop())
    profiles = scripted_profiles()
    profiles["slow"] = ModelProfile(name="slow", model="m", provider="slow-to-stop")
    return profiles


@pytest.mark.parametrize("first_stop", ["run timeout", "cancel"])
async def test_a_cancel_while_the_run_is_stopping_its_agents_keeps_the_result(
    first_stop: str,
) -> None:
    ens = ensemble(agent("done"), agent("stuck", profile="slow"), agent("later", "stuck"))
    events: list[RunEvent] = []
    started = asyncio.Event()
    run = EnsembleRun(
        ens,
        "task",
        slow_profiles(),
        emit=lambda e: (events.append(e), started.set() if isinstance(e, AgentStarted) else None),
        options=RunOptions(timeout_seconds=0.05 if first_stop == "run timeout" else None),
    )
    task = asyncio.create_task(run.execute())
    SlowToStop.on_cleanup = staticmethod(lambda: task.cancel())
    try:
        if first_stop == "cancel":
            await started.wait()
            task.cancel()
        done, _ = await asyncio.wait([task], timeout=GUARD_SECONDS)
    finally:
        SlowToStop.on_cleanup = staticmethod(lambda: None)
    assert done and task.cancelled()  # the cancel is not swallowed...
    result = assert_invariant(events, run.result)  # ...and the result is not lost
    assert result.agent("stuck").status is AgentStatus.CANCELLED
    assert result.agent("done").status is AgentStatus.SUCCEEDED
    assert result.agent("later").status is AgentStatus.SKIPPED
    expected = RunStatus.TIMED_OUT if first_stop == "run timeout" else RunStatus.CANCELLED
    assert result.status is expected


class IgnoresCancel:
    """A provider that swallows cancellation and goes on, until `released`."""

    name: ClassVar[str] = "ignores-cancel"
    default_max_concurrency: ClassVar[int | None] = None

    def __init__(self) -> None:
        self.released = False

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        while not self.released:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)
        raise ProviderError("released")


async def test_a_provider_that_ignores_cancellation_cannot_hold_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = IgnoresCancel()
    register_provider("ignores-cancel", provider)
    profiles = scripted_profiles()
    profiles["deaf"] = ModelProfile(name="deaf", model="m", provider="ignores-cancel")
    events: list[RunEvent] = []
    run = EnsembleRun(
        ensemble(agent("deaf", profile="deaf"), agent("ok")),
        "task",
        profiles,
        emit=events.append,
        options=RunOptions(timeout_seconds=0.05),
        stop_grace_seconds=0.05,
    )
    result = await asyncio.wait_for(run.execute(), GUARD_SECONDS)
    assert_invariant(events, result)
    assert result.agent("deaf").status is AgentStatus.CANCELLED
    assert result.agent("ok").status is AgentStatus.SUCCEEDED
    assert "did not stop within 0.05s of being cancelled (deaf)" in caplog.text
    # The agent left behind cannot touch the result or the stream when it ends at last.
    (orphan,) = [t for t in asyncio.all_tasks() if t.get_name() == "agent:deaf"]
    provider.released = True
    orphan.cancel()
    await asyncio.wait([orphan], timeout=GUARD_SECONDS)
    assert orphan.done()
    assert result.agent("deaf").status is AgentStatus.CANCELLED
    assert isinstance(events[-1], EnsembleFinished)


class RaisesCancelled:
    """A provider whose library raises CancelledError though nobody cancelled it."""

    name: ClassVar[str] = "raises-cancelled"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        raise asyncio.CancelledError


async def test_a_provider_raising_cancelled_error_fails_its_agent_only() -> None:
    register_provider("raises-cancelled", RaisesCancelled())
    profiles = scripted_profiles()
    profiles["rc"] = ModelProfile(name="rc", model="m", provider="raises-cancelled")
    events: list[RunEvent] = []
    run = EnsembleRun(
        ensemble(agent("rc", profile="rc"), agent("ok")), "task", profiles, emit=events.append
    )
    result = await asyncio.wait_for(run.execute(), GUARD_SECONDS)
    assert_invariant(events, result)
    assert result.agent("rc").status is AgentStatus.FAILED
    assert result.agent("rc").error_type == "internal"
    assert result.agent("ok").status is AgentStatus.SUCCEEDED
    assert [e.agent for e in events if isinstance(e, AgentFailed)] == ["rc"]


class OwnTimeout:
    """A provider whose client times out on its own (raises TimeoutError) on the first attempt."""

    name: ClassVar[str] = "own-timeout"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        if request.attempt == 1:
            raise TimeoutError("read timed out")
        on_text("ok")
        return Generation("ok", 1, 1, request.model)


async def test_a_providers_own_timeout_is_a_retried_timeout_not_an_internal_error() -> None:
    register_provider("own-timeout", OwnTimeout())
    profiles = scripted_profiles()
    profiles["ot"] = ModelProfile(name="ot", model="m", provider="own-timeout")
    events: list[RunEvent] = []
    ens = ensemble(
        agent("retried", profile="ot", retries={"count": 1, "initial_delay_seconds": 0}),
        agent("once", profile="ot"),
    )
    run = EnsembleRun(ens, "task", profiles, emit=events.append)
    result = await asyncio.wait_for(run.execute(), GUARD_SECONDS)
    assert_invariant(events, result)
    assert result.agent("retried").status is AgentStatus.SUCCEEDED
    retrying = [e for e in events if isinstance(e, AgentRetrying)]
    assert [(e.agent, e.error) for e in retrying] == [
        ("retried", "the provider timed out: read timed out")
    ]
    once = result.agent("once")
    assert (once.status, once.error_type, once.error) == (
        AgentStatus.FAILED,
        "timeout",
        "the provider timed out: read timed out",
    )


class LateText:
    """Keeps calling `on_text` after its generation returned (a leaked callback)."""

    name: ClassVar[str] = "late-text"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        asyncio.get_running_loop().call_soon(on_text, "late")
        on_text("in time")
        return Generation("in time", 1, 1, request.model)


async def test_text_after_an_attempt_ended_is_dropped_and_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_provider("late-text", LateText())
    profiles = scripted_profiles()
    profiles["late"] = ModelProfile(name="late", model="m", provider="late-text")
    events: list[RunEvent] = []
    ens = ensemble(agent("late", profile="late"), agent("slow", options={"latency_seconds": 0.01}))
    run = EnsembleRun(ens, "task", profiles, emit=events.append)
    result = await asyncio.wait_for(run.execute(), GUARD_SECONDS)
    assert_invariant(events, result)
    texts = [e.text for e in events if isinstance(e, AgentTextDelta) and e.agent == "late"]
    assert texts == ["in time"]
    assert "after its attempt ended" in caplog.text


async def test_no_event_follows_ensemble_finished() -> None:
    register_provider("late-text", LateText())
    profiles = scripted_profiles()
    profiles["late"] = ModelProfile(name="late", model="m", provider="late-text")
    events: list[RunEvent] = []
    run = EnsembleRun(ensemble(agent("late", profile="late")), "task", profiles, emit=events.append)
    result = await run.execute()
    await asyncio.sleep(0)  # one loop turn: the leaked callback runs now, after the run ended
    assert_invariant(events, result)
    assert [type(e) for e in events if getattr(e, "agent", None) == "late"][-1] is AgentFinished


async def test_cancel_from_a_hook_as_the_last_agent_is_skipped_still_returns_the_result() -> None:
    # The skip is announced on the run's own task, which then ends without waiting again: the
    # cancel must not turn a returned result into a CancelledError for the caller.
    events: list[RunEvent] = []
    run: EnsembleRun

    def on_event(event: RunEvent) -> None:
        events.append(event)
        if event.type == "agent_skipped":
            run.cancel()

    run = EnsembleRun(
        ensemble(agent("bad", profile="broken"), agent("after", "bad")),
        "task",
        mixed_profiles(),
        emit=on_event,
    )
    task = asyncio.create_task(run.execute())
    done, _ = await asyncio.wait([task], timeout=GUARD_SECONDS)
    assert done and not task.cancelled()
    result = assert_invariant(events, task.result())
    assert result.status is RunStatus.FAILED  # everything had ended: nothing was cancelled


async def cancel_at(k: int) -> tuple[asyncio.Task[RunResult], list[RunEvent]]:
    """A run that calls its own `cancel()` from the hook at its K-th event."""
    events: list[RunEvent] = []
    run: EnsembleRun

    def on_event(event: RunEvent) -> None:
        events.append(event)
        if len(events) == k:
            run.cancel()

    run = EnsembleRun(mixed_ensemble(), "task", mixed_profiles(), emit=on_event)
    task = asyncio.create_task(run.execute())
    done, _ = await asyncio.wait([task], timeout=GUARD_SECONDS)
    assert done, f"the run hangs (cancel at event {k})"
    return task, events


async def test_run_cancel_at_any_event_returns_the_result_and_never_raises() -> None:
    total = await reference_length()
    for k in range(1, total + 1):
        task, events = await cancel_at(k)
        assert not task.cancelled(), k
        result = assert_invariant(events, task.result())
        if result.status is not RunStatus.CANCELLED:  # only when nothing was left to cancel
            assert all(a.status is not AgentStatus.CANCELLED for a in result.agents), k


class ErrorOnCancel:
    """Turns its cancellation into an error, as an HTTP client may ("connection aborted")."""

    name: ClassVar[str] = "error-on-cancel"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise TransientProviderError("connection aborted") from None
        raise AssertionError("unreachable")


async def test_an_agent_whose_provider_turns_the_stop_into_an_error_is_cancelled_not_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_provider("error-on-cancel", ErrorOnCancel())
    profiles = scripted_profiles(backup={"options": {"reply": "from backup"}})
    profiles["eoc"] = ModelProfile(name="eoc", model="m", provider="error-on-cancel")
    events: list[RunEvent] = []
    ens = ensemble(
        agent("a", profile="eoc", retries={"count": 3, "initial_delay_seconds": 0}),
        agent("b", profile="eoc", fallback_model_profile="backup"),
    )
    run = EnsembleRun(
        ens,
        "task",
        profiles,
        emit=events.append,
        options=RunOptions(timeout_seconds=0.05),
        stop_grace_seconds=GUARD_SECONDS,  # were it waited for, the test would take this long
    )
    started = asyncio.get_running_loop().time()
    result = await asyncio.wait_for(run.execute(), GUARD_SECONDS)
    assert asyncio.get_running_loop().time() - started < GUARD_SECONDS / 2
    assert_invariant(events, result)
    assert result.status is RunStatus.TIMED_OUT
    assert {a.name: a.status for a in result.agents} == {
        "a": AgentStatus.CANCELLED,
        "b": AgentStatus.CANCELLED,
    }
    kinds = [e.type for e in events]
    assert "agent_retrying" not in kinds and "agent_fallback" not in kinds
    assert "agent_failed" not in kinds
    assert "did not stop" not in caplog.text


class StreamsThenFails:
    """Streams a few pieces (an empty one among them), then fails without reporting usage."""

    name: ClassVar[str] = "streams-then-fails"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        for piece in ("abcd", "", "efghi"):
            on_text(piece)
        raise ProviderError("the connection dropped")


class FailsAtOnce:
    """Fails before any text, without reporting usage."""

    name: ClassVar[str] = "fails-at-once"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        raise ProviderError("refused")


async def test_a_failed_attempt_is_charged_the_estimate_of_what_it_streamed() -> None:
    register_provider("streams-then-fails", StreamsThenFails())
    register_provider("fails-at-once", FailsAtOnce())
    profiles = scripted_profiles()
    profiles["drops"] = ModelProfile(name="drops", model="m", provider="streams-then-fails")
    profiles["refuses"] = ModelProfile(name="refuses", model="m", provider="fails-at-once")
    events: list[RunEvent] = []
    ens = ensemble(
        agent("drops", profile="drops", system_prompt="s" * 8),
        agent("refuses", profile="refuses"),
    )
    run = EnsembleRun(ens, "t" * 8, profiles, emit=events.append)
    result = assert_invariant(events, await asyncio.wait_for(run.execute(), GUARD_SECONDS))
    drops = result.agent("drops")
    assert drops.status is AgentStatus.FAILED
    # 16 prompt characters are 4 tokens; the 9 streamed characters are 3 (four a token).
    usage = drops.usage
    assert (usage.input_tokens, usage.output_tokens, usage.estimated) == (4, 3, True)
    texts = [e.text for e in events if isinstance(e, AgentTextDelta) and e.agent == "drops"]
    assert texts == ["abcd", "", "efghi"]
    refused = result.agent("refuses").usage
    assert (refused.input_tokens, refused.output_tokens, refused.estimated) == (0, 0, False)
