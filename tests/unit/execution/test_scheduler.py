"""The scheduler with the deterministic provider: ordering, caps, timeouts, retries, policies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import ClassVar

import jsonschema
import pytest

from llm_orc.config.ensemble import Agent, Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.events import (
    AgentCancelled,
    AgentFailed,
    AgentFallback,
    AgentFinished,
    AgentQueued,
    AgentRetrying,
    AgentSkipped,
    AgentStarted,
    AgentTextDelta,
    EnsembleFinished,
    EnsembleStarted,
    RunEvent,
    event_to_dict,
)
from llm_orc.execution.result import AgentStatus, RunResult, RunStatus
from llm_orc.execution.runner import run, stream
from llm_orc.execution.scheduler import EnsembleRun, RunOptions
from llm_orc.providers.base import Generation, GenerationRequest, TextSink
from llm_orc.providers.registry import register_provider
from llm_orc.schemas import load_schema
from support.ensembles import agent, ensemble, scripted_profiles


async def collect(
    ens: Ensemble, profiles: dict[str, ModelProfile], task: str = "the task", **options: object
) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    result = await run(
        ens,
        task,
        profiles=profiles,
        options=RunOptions(**options),
        on_event=events.append,  # type: ignore[arg-type]
    )
    return result, events


def names(events: list[RunEvent], kind: type) -> list[str]:
    return [e.agent for e in events if isinstance(e, kind)]  # type: ignore[attr-defined]


async def test_dependency_results_reach_the_dependent_in_the_default_layout() -> None:
    profiles = scripted_profiles(echo={"options": {"echo_prompt": True}})
    ens = ensemble(
        agent("a", options={"reply": "alpha says hi"}),
        agent("b", options={"reply": "beta says hi"}),
        agent("c", "a", "b", profile="echo"),
    )
    result, _ = await collect(ens, profiles, task="Review this.")
    assert result.status is RunStatus.SUCCEEDED
    assert result.agent("c").output == (
        "Review this.\n\nResults from other agents:\n\n## a\nalpha says hi\n\n## b\nbeta says hi"
    )
    assert result.final_agent == "c"
    assert result.final_answer == result.agent("c").output
    assert result.execution_order.index("c") > max(
        result.execution_order.index("a"), result.execution_order.index("b")
    )


async def test_prompt_template_fills_input_and_named_dependencies_only() -> None:
    profiles = scripted_profiles(echo={"options": {"echo_prompt": True}})
    ens = ensemble(
        agent("a", options={"reply": "A-out"}),
        agent(
            "b",
            "a",
            profile="echo",
            prompt_template="In: {input} | dep: {deps.a} | code {x: 1} {deps.zz}",
        ),
    )
    result, _ = await collect(ens, profiles, task="T")
    assert result.agent("b").output == "In: T | dep: A-out | code {x: 1} {deps.zz}"


async def test_an_agent_starts_when_its_own_dependencies_finish_not_its_level() -> None:
    # slow hangs forever; fast -> after_fast must complete while slow is still running.
    profiles = scripted_profiles(hang={"options": {"hang": True}})
    ens = ensemble(agent("slow", profile="hang"), agent("fast"), agent("after_fast", "fast"))
    seen: list[RunEvent] = []
    async for event in stream(ens, "x", profiles=profiles):
        seen.append(event)
        if isinstance(event, AgentFinished) and event.agent == "after_fast":
            break  # leaving the stream cancels the run
    assert "slow" in names(seen, AgentStarted)
    assert "slow" not in names(seen, AgentFinished)
    assert names(seen, AgentFinished) == ["fast", "after_fast"]


def _max_parallel(events: list[RunEvent]) -> int:
    running = peak = 0
    for event in events:
        if isinstance(event, AgentStarted):
            running += 1
            peak = max(peak, running)
        elif isinstance(event, AgentFinished | AgentFailed):
            running -= 1
    return peak


async def test_ensemble_concurrency_cap_is_never_exceeded_and_is_used() -> None:
    profiles = scripted_profiles(slowish={"options": {"latency_seconds": 0.01}})
    ens = ensemble(*(agent(f"a{i}", profile="slowish") for i in range(8)), max_concurrency=3)
    result, events = await collect(ens, profiles)
    assert result.count(AgentStatus.SUCCEEDED) == 8
    assert _max_parallel(events) == 3


async def test_run_option_overrides_the_ensemble_cap() -> None:
    profiles = scripted_profiles(slowish={"options": {"latency_seconds": 0.01}})
    ens = ensemble(*(agent(f"a{i}", profile="slowish") for i in range(6)), max_concurrency=4)
    _, events = await collect(ens, profiles, max_concurrency=2)
    assert _max_parallel(events) == 2


async def test_profile_cap_applies_across_agents_of_that_profile() -> None:
    profiles = scripted_profiles(
        capped={"options": {"latency_seconds": 0.01}, "max_concurrency": 2},
        free={"options": {"latency_seconds": 0.01}},
    )
    ens = ensemble(
        *(agent(f"c{i}", profile="capped") for i in range(5)),
        *(agent(f"f{i}", profile="free") for i in range(3)),
    )
    _, events = await collect(ens, profiles)
    capped = [e for e in events if getattr(e, "agent", "").startswith("c")]
    assert _max_parallel(capped) == 2
    assert _max_parallel(events) >= 4


class SingleSlotProvider:
    """A provider that allows one generation at a time and records overlap."""

    name: ClassVar[str] = "single-slot"
    default_max_concurrency: ClassVar[int | None] = 1

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.005)
        self.active -= 1
        on_text("done")
        return Generation("done", 1, 1, request.model)


async def test_provider_cap_serialises_a_single_slot_provider() -> None:
    provider = SingleSlotProvider()
    register_provider("single-slot", provider)
    profiles = scripted_profiles()
    profiles["one"] = ModelProfile(name="one", model="m", provider="single-slot")
    ens = ensemble(*(agent(f"a{i}", profile="one") for i in range(5)))
    result, _ = await collect(ens, profiles)
    assert result.count(AgentStatus.SUCCEEDED) == 5
    assert provider.peak == 1


async def test_agent_timeout_fails_that_agent_only() -> None:
    profiles = scripted_profiles(hang={"options": {"hang": True}})
    ens = ensemble(agent("stuck", profile="hang", timeout_seconds=0.05), agent("fine"))
    result, _ = await collect(ens, profiles)
    stuck = result.agent("stuck")
    assert stuck.status is AgentStatus.FAILED
    assert stuck.error_type == "timeout"
    assert stuck.error == "timed out after 0.05s"
    assert result.agent("fine").status is AgentStatus.SUCCEEDED
    assert result.status is RunStatus.PARTIAL  # `fine` is the last declared sink and answered


async def test_ensemble_timeout_cancels_running_skips_pending_and_keeps_finished() -> None:
    profiles = scripted_profiles(hang={"options": {"hang": True}})
    ens = ensemble(agent("done"), agent("stuck", profile="hang"), agent("later", "stuck"))
    result, events = await collect(ens, profiles, timeout_seconds=0.1)
    assert result.status is RunStatus.TIMED_OUT
    assert result.agent("done").status is AgentStatus.SUCCEEDED
    assert result.agent("done").output == "done: ok"
    assert result.agent("stuck").status is AgentStatus.CANCELLED
    assert result.agent("later").status is AgentStatus.SKIPPED
    assert isinstance(events[-1], EnsembleFinished)


async def test_transient_errors_are_retried_with_events_until_success() -> None:
    profiles = scripted_profiles(flaky={"options": {"fail_attempts": 2}})
    retries = {"count": 2, "initial_delay_seconds": 0}
    ens = ensemble(agent("a", profile="flaky", retries=retries))
    result, events = await collect(ens, profiles)
    a = result.agent("a")
    assert a.status is AgentStatus.SUCCEEDED
    assert a.attempts == 3
    retrying = [e for e in events if isinstance(e, AgentRetrying)]
    assert [e.attempt for e in retrying] == [1, 2]
    assert [e.attempt for e in events if isinstance(e, AgentStarted)] == [1, 2, 3]


async def test_retries_run_out_and_the_agent_fails() -> None:
    profiles = scripted_profiles(flaky={"options": {"fail_attempts": 5}})
    ens = ensemble(agent("a", profile="flaky", retries={"count": 1, "initial_delay_seconds": 0}))
    result, _ = await collect(ens, profiles)
    assert result.agent("a").status is AgentStatus.FAILED
    assert result.agent("a").attempts == 2
    assert result.status is RunStatus.FAILED


async def test_permanent_errors_are_not_retried() -> None:
    profiles = scripted_profiles(broken={"options": {"error": "bad request"}})
    ens = ensemble(agent("a", profile="broken", retries=3))
    result, events = await collect(ens, profiles)
    assert result.agent("a").attempts == 1
    assert result.agent("a").error == "bad request"
    assert not [e for e in events if isinstance(e, AgentRetrying)]


async def test_backoff_delays_grow_and_stay_under_the_cap() -> None:
    profiles = scripted_profiles(flaky={"options": {"fail_attempts": 3}})
    retries = {"count": 3, "initial_delay_seconds": 0.004, "max_delay_seconds": 0.01}
    ens = ensemble(agent("a", profile="flaky", retries=retries))
    _, events = await collect(ens, profiles)
    delays = [e.delay_seconds for e in events if isinstance(e, AgentRetrying)]
    assert len(delays) == 3
    assert all(0 <= d <= bound for d, bound in zip(delays, [0.004, 0.008, 0.01], strict=True))


async def test_failed_dependency_skips_dependents_by_default_and_continue_runs_them() -> None:
    profiles = scripted_profiles(
        broken={"options": {"error": "model exploded"}},
        echo={"options": {"echo_prompt": True}},
    )
    ens = ensemble(
        agent("bad", profile="broken"),
        agent("good"),
        agent("strict", "bad", "good"),
        agent("lenient", "bad", "good", profile="echo", on_dependency_failure="continue"),
        agent("downstream", "strict"),
    )
    result, events = await collect(ens, profiles, task="T")
    assert result.agent("strict").status is AgentStatus.SKIPPED
    assert result.agent("strict").error == "dependency 'bad' failed"
    assert result.agent("downstream").error == "dependency 'strict' skipped"
    assert names(events, AgentSkipped) == ["strict", "downstream"]
    lenient = result.agent("lenient")
    assert lenient.status is AgentStatus.SUCCEEDED
    assert lenient.output == (
        "T\n\nResults from other agents:\n\n"
        "## bad\n(no result: model exploded)\n\n## good\ngood: ok"
    )
    assert result.final_agent == "lenient"  # the last declared sink that succeeded
    assert result.status is RunStatus.PARTIAL


async def test_an_exception_in_one_agent_never_takes_siblings_down() -> None:
    class Exploding:
        name: ClassVar[str] = "exploding"
        default_max_concurrency: ClassVar[int | None] = None

        async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
            raise RuntimeError("boom")

    register_provider("exploding", Exploding())
    profiles = scripted_profiles()
    profiles["x"] = ModelProfile(name="x", model="m", provider="exploding")
    ens = ensemble(agent("bad", profile="x"), agent("ok1"), agent("ok2"))
    result, _ = await collect(ens, profiles)
    assert result.agent("bad").error == "RuntimeError: boom"
    assert result.agent("bad").error_type == "internal"
    assert result.count(AgentStatus.SUCCEEDED) == 2


async def test_fallback_profile_is_used_and_recorded() -> None:
    profiles = scripted_profiles(
        primary={"options": {"error": "primary is down"}, "model": "big"},
        backup={"options": {"reply": "from backup"}, "model": "small"},
    )
    ens = ensemble(agent("a", profile="primary", fallback_model_profile="backup"))
    result, events = await collect(ens, profiles)
    a = result.agent("a")
    assert a.status is AgentStatus.SUCCEEDED
    assert a.output == "from backup"
    assert a.model == "small" and a.profile == "backup"
    assert a.fallback is not None
    assert (a.fallback.from_profile, a.fallback.to_profile) == ("primary", "backup")
    assert a.fallback.reason == "primary is down"
    fallbacks = [e for e in events if isinstance(e, AgentFallback)]
    assert [(e.from_profile, e.to_profile) for e in fallbacks] == [("primary", "backup")]
    assert result.to_document()["agents"][0]["fallback"]["to_profile"] == "backup"


async def test_profile_level_fallback_applies_when_the_agent_names_none() -> None:
    profiles = scripted_profiles(
        primary={"options": {"error": "down"}, "fallback_model_profile": "backup"},
        backup={"options": {"reply": "saved"}},
    )
    result, _ = await collect(ensemble(agent("a", profile="primary")), profiles)
    assert result.agent("a").output == "saved"


async def test_json_output_is_parsed_and_bad_json_is_the_agents_error() -> None:
    profiles = scripted_profiles(
        good={"options": {"reply": '```json\n{"priority": "high", "n": 2}\n```'}},
        bad={"options": {"reply": "not json at all"}},
        sys={"options": {"echo_system": True}},
    )
    ens = ensemble(
        agent("g", profile="good", output_format="json"),
        agent("b", profile="bad", output_format="json"),
        agent("s", profile="sys", output_format="json", system_prompt="Judge."),
    )
    result, _ = await collect(ens, profiles)
    assert result.agent("g").parsed == {"priority": "high", "n": 2}
    assert result.agent("b").status is AgentStatus.FAILED
    assert result.agent("b").error_type == "invalid_json"
    assert result.agent("b").error is not None
    assert result.agent("b").error.startswith("output is not valid JSON")
    # The system prompt asks for JSON (and the echo is then not JSON, so it fails).
    assert result.agent("s").status is AgentStatus.FAILED
    assert result.agent("s").usage.output_tokens > 0


async def test_text_deltas_stream_in_order_and_add_up_to_the_output() -> None:
    profiles = scripted_profiles(words={"options": {"reply": "one two three four", "chunks": 4}})
    ens = ensemble(agent("a", profile="words"))
    result, events = await collect(ens, profiles)
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "EnsembleStarted" and kinds[-1] == "EnsembleFinished"
    a_events = [e for e in events if getattr(e, "agent", None) == "a"]
    assert isinstance(a_events[0], AgentStarted)
    assert isinstance(a_events[-1], AgentFinished)
    deltas = [e.text for e in a_events if isinstance(e, AgentTextDelta)]
    assert len(deltas) == 4
    assert "".join(deltas) == result.agent("a").output == "one two three four"


async def test_usage_and_cost_come_from_the_profile_prices() -> None:
    profiles = scripted_profiles(
        paid={
            "options": {"reply": "a b c d"},
            "price_per_million_input_tokens": 3.0,
            "price_per_million_output_tokens": 15.0,
        }
    )
    ens = ensemble(agent("a", profile="paid", system_prompt="s1 s2"))
    result, _ = await collect(ens, profiles, task="t1 t2 t3")
    usage = result.agent("a").usage
    assert (usage.input_tokens, usage.output_tokens) == (5, 4)
    assert usage.cost == pytest.approx((5 * 3.0 + 4 * 15.0) / 1_000_000)
    assert result.to_document()["totals"]["usage"]["total_tokens"] == 9


async def test_cancelling_the_run_keeps_what_finished() -> None:
    profiles = scripted_profiles(hang={"options": {"hang": True}})
    ens = ensemble(agent("quick"), agent("stuck", profile="hang"), agent("after", "stuck"))
    events: list[RunEvent] = []
    started = asyncio.Event()

    def on_event(event: RunEvent) -> None:
        events.append(event)
        finished = set(names(events, AgentFinished))
        if "quick" in finished and "stuck" in names(events, AgentStarted):
            started.set()

    execution = EnsembleRun(ens, "x", profiles, emit=on_event)
    task = asyncio.create_task(execution.execute())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    result = execution.result
    assert result is not None
    assert result.status is RunStatus.CANCELLED
    assert result.agent("quick").output == "quick: ok"
    assert result.agent("stuck").status is AgentStatus.CANCELLED
    assert result.agent("after").status is AgentStatus.SKIPPED
    assert isinstance(events[-1], EnsembleFinished)


async def test_the_result_document_matches_its_schema_and_events_serialise() -> None:
    profiles = scripted_profiles(
        broken={"options": {"error": "x"}}, js={"options": {"reply": '{"k": [1, 2]}'}}
    )
    ens = ensemble(
        agent("a"),
        agent("b", profile="broken"),
        agent("c", "a", "b"),
        agent("d", "a", profile="js", output_format="json"),
    )
    result, events = await collect(ens, profiles)
    document = result.to_document()
    jsonschema.Draft202012Validator(load_schema("result")).validate(document)
    assert document["final_answer"] == {"agent": "d", "output": '{"k": [1, 2]}'}
    assert document["agents"][3]["parsed"] == {"k": [1, 2]}
    assert document["totals"]["skipped"] == 1 and document["totals"]["failed"] == 1
    for event in events:
        json.dumps(event_to_dict(event))
    assert isinstance(events[0], EnsembleStarted)
    assert events[0].agents == ("a", "b", "c", "d")


async def test_default_task_is_the_input_when_none_is_given() -> None:
    profiles = scripted_profiles(echo={"options": {"echo_prompt": True}})
    ens = ensemble(agent("a", profile="echo"), default_task="Do the default thing.")
    result = await run(ens, profiles=profiles)
    assert result.agent("a").output == "Do the default thing."
    assert result.input == "Do the default thing."


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: ensemble(agent("a", "b"), agent("b", "a")), "dependency-cycle"),
        (lambda: ensemble(agent("a", "ghost")), "missing-dependency"),
        (lambda: ensemble(agent("a", profile="nope")), "unknown-profile"),
        # The schema's one rule the models do not enforce: it is still checked.
        (lambda: ensemble(Agent(name="a", model="m")), "missing-key"),
    ],
)
async def test_invalid_code_built_ensembles_fail_before_any_model_is_called(
    make: Callable[[], Ensemble], code: str
) -> None:
    from llm_orc.errors import InvalidEnsembleError

    with pytest.raises(InvalidEnsembleError) as caught:
        await run(make(), "x", profiles=scripted_profiles())
    assert code in {d.code for d in caught.value.diagnostics}


async def test_placeholders_name_agents_with_spaces() -> None:
    profiles = scripted_profiles(echo={"options": {"echo_prompt": True}})
    ens = ensemble(
        agent("first pass", options={"reply": "P1"}),
        agent("b", "first pass", profile="echo", prompt_template="got {deps.first pass}"),
    )
    result, _ = await collect(ens, profiles)
    assert result.agent("b").output == "got P1"


async def test_output_schema_is_sent_to_the_model_and_checked() -> None:
    schema = {
        "type": "object",
        "properties": {"priority": {"enum": ["low", "high"]}},
        "required": ["priority"],
    }
    profiles = scripted_profiles(
        ok={"options": {"reply": '{"priority": "high"}'}},
        off={"options": {"reply": '{"priority": "urgent"}'}},
        sys={"options": {"echo_system": True}},
    )
    ens = ensemble(
        agent("ok", profile="ok", output_schema=schema),
        agent("off", profile="off", output_schema=schema),
        agent("sys", profile="sys", output_schema=schema, system_prompt="Judge."),
    )
    result, _ = await collect(ens, profiles)
    assert result.agent("ok").parsed == {"priority": "high"}
    off = result.agent("off")
    assert off.status is AgentStatus.FAILED and off.error_type == "invalid_json"
    assert off.error == (
        "output does not match output_schema at priority: 'urgent' is not one of ['low', 'high']"
    )
    system = result.agent("sys")
    assert system.status is AgentStatus.FAILED  # the echoed system prompt is not JSON
    assert system.usage.output_tokens > 0


def test_the_system_prompt_asks_for_json_and_states_the_schema() -> None:
    from llm_orc.execution.prompting import build_system_prompt

    assert build_system_prompt("Judge.", json_output=False) == "Judge."
    assert build_system_prompt("Judge.", json_output=True) == (
        "Judge.\n\nRespond with a single JSON object and nothing else."
    )
    assert build_system_prompt("Judge.", json_output=True, json_schema={"type": "object"}) == (
        "Judge.\n\nRespond with a single JSON object and nothing else. "
        'It must match this JSON Schema: {"type":"object"}'
    )


async def test_agents_still_queued_for_a_slot_are_reported_queued_then_cancelled() -> None:
    profiles = scripted_profiles(hang={"options": {"hang": True}})
    ens = ensemble(agent("first", profile="hang"), agent("queued", profile="hang"))
    result, events = await collect(ens, profiles, timeout_seconds=0.1, max_concurrency=1)
    assert names(events, AgentStarted) == ["first"]
    assert names(events, AgentQueued) == ["queued"]
    assert names(events, AgentCancelled) == ["first", "queued"]
    assert result.agent("first").status is AgentStatus.CANCELLED
    queued = result.agent("queued")
    assert queued.status is AgentStatus.CANCELLED
    assert queued.started_at is None and queued.attempts == 0
    assert result.execution_order == ["first"]
