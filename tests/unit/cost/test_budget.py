"""A run's budget: once its spent cost reaches `max_cost`, it starts nothing more, cancels what
runs and skips the rest, and the result says so."""

from __future__ import annotations

import math
from typing import ClassVar

import pytest

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.errors import InvalidFieldError
from llm_orc.execution.events import AgentCancelled, AgentSkipped, RunEvent, event_to_dict
from llm_orc.execution.result import AgentStatus, RunResult, RunStatus
from llm_orc.execution.runner import run
from llm_orc.execution.scheduler import RunOptions
from llm_orc.providers.base import (
    Generation,
    GenerationRequest,
    TextSink,
    TokenUsage,
    TransientProviderError,
)
from llm_orc.providers.registry import register_provider
from llm_orc.schemas import schema_validator
from support.ensembles import agent, ensemble, scripted_profiles

# One dollar per output token, input free: an agent replying "a b c" costs $3.
DOLLAR_A_WORD = {"price_per_million_input_tokens": 0.0, "price_per_million_output_tokens": 1e6}


def priced(**extra: dict[str, object]) -> dict[str, ModelProfile]:
    return scripted_profiles(
        paid={**DOLLAR_A_WORD, "options": {"reply": "a b c"}},
        hangs={**DOLLAR_A_WORD, "options": {"hang": True}},
        **extra,
    )


async def collect(
    ens: Ensemble, profiles: dict[str, ModelProfile], **options: object
) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    result = await run(
        ens, "go", profiles=profiles, options=RunOptions(**options), on_event=events.append
    )
    for event in events:
        schema_validator("events").validate(event_to_dict(event))
    return result, events


async def test_a_chain_stops_starting_agents_once_the_budget_is_reached() -> None:
    ens = ensemble(
        agent("first", profile="paid"),
        agent("second", "first", profile="paid"),
        agent("third", "second", profile="paid"),
        max_cost=5.0,
    )
    result, events = await collect(ens, priced())
    # first ($3) leaves the run under budget; second ($6 in all) reaches it: third never starts.
    assert [a.status for a in result.agents] == [
        AgentStatus.SUCCEEDED,
        AgentStatus.SUCCEEDED,
        AgentStatus.SKIPPED,
    ]
    assert result.stopped_reason == "budget"
    assert result.status is RunStatus.FAILED
    skipped = [e for e in events if isinstance(e, AgentSkipped)]
    assert [e.agent for e in skipped] == ["third"]
    assert skipped[0].reason.startswith("budget: ")
    assert "$5" in skipped[0].reason
    assert result.budget is not None
    assert result.budget.spent_usd == pytest.approx(6.0)
    doc = result.to_document()
    assert doc["stopped_reason"] == "budget"
    assert doc["budget"] == {"max_cost_usd": 5.0, "spent_usd": 6.0, "unknown_cost_agents": []}
    assert RunResult.from_document(doc).to_document() == doc


async def test_running_agents_are_cancelled_with_the_budget_as_reason() -> None:
    ens = ensemble(
        agent("spender", profile="paid"),
        agent("slow", profile="hangs"),
        agent("after", "slow", profile="paid"),
        max_cost=2.0,
    )
    result, events = await collect(ens, priced())
    assert result.agent("spender").status is AgentStatus.SUCCEEDED
    assert result.agent("slow").status is AgentStatus.CANCELLED
    assert result.agent("after").status is AgentStatus.SKIPPED
    cancelled = [e for e in events if isinstance(e, AgentCancelled)]
    assert [e.agent for e in cancelled] == ["slow"]
    assert cancelled[0].reason.startswith("budget: ")
    assert result.stopped_reason == "budget"
    assert type(events[-1]).__name__ == "EnsembleFinished"


async def test_the_run_option_overrides_the_ensemble_budget() -> None:
    ens = ensemble(agent("first", profile="paid"), agent("second", "first"), max_cost=100.0)
    result, _ = await collect(ens, priced(), max_cost=1.0)
    assert result.agent("second").status is AgentStatus.SKIPPED
    assert result.budget is not None and result.budget.max_cost_usd == 1.0


async def test_a_run_under_budget_says_what_it_spent_and_was_not_stopped() -> None:
    ens = ensemble(agent("first", profile="paid"), agent("second", "first"), max_cost=10.0)
    result, _ = await collect(ens, priced())
    assert result.status is RunStatus.SUCCEEDED
    assert result.stopped_reason is None
    assert result.to_document()["budget"]["spent_usd"] == pytest.approx(3.0)


async def test_the_last_agent_reaching_the_budget_does_not_stop_a_finished_run() -> None:
    ens = ensemble(agent("only", profile="paid"), max_cost=1.0)
    result, _ = await collect(ens, priced())
    assert result.status is RunStatus.SUCCEEDED
    assert result.stopped_reason is None
    assert result.budget is not None and result.budget.reached


async def test_without_a_budget_the_result_has_none() -> None:
    result, _ = await collect(ensemble(agent("only", profile="paid")), priced())
    assert result.budget is None
    assert result.to_document()["budget"] is None


@pytest.mark.parametrize("value", [0, -1.0, math.nan, math.inf, True, "1"])
def test_run_options_refuse_a_budget_that_is_not_a_positive_number(value: object) -> None:
    with pytest.raises((TypeError, ValueError), match="max_cost must be a positive number"):
        RunOptions(max_cost=value)  # type: ignore[arg-type]


def test_an_ensemble_refuses_a_budget_that_is_not_positive() -> None:
    with pytest.raises(InvalidFieldError, match="max_cost"):
        ensemble(agent("a"), max_cost=0)


class _CostlyFailures:
    """Every attempt streams, then fails transiently, reporting what it used (it costs money)."""

    name: ClassVar[str] = "costly-failures"
    default_max_concurrency: ClassVar[int | None] = None
    attempts = 0

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        type(self).attempts += 1
        on_text("partial ")
        raise TransientProviderError("the stream was cut", usage=TokenUsage(0, 3))


async def test_a_failed_attempt_that_reaches_the_budget_is_not_retried() -> None:
    register_provider("costly-failures", _CostlyFailures)
    profiles = priced()
    profiles["flaky"] = ModelProfile(
        name="flaky", model="m", provider="costly-failures", **DOLLAR_A_WORD
    )
    ens = ensemble(
        agent("flaky", profile="flaky", retries={"count": 5, "initial_delay_seconds": 0}),
        agent("after", "flaky", profile="paid", on_dependency_failure="continue"),
        max_cost=2.0,
    )
    _CostlyFailures.attempts = 0
    result, _ = await collect(ens, profiles)
    assert _CostlyFailures.attempts == 1  # $3 spent by the failed attempt: no retry
    assert result.agent("flaky").status is AgentStatus.CANCELLED
    assert result.agent("flaky").usage.cost == pytest.approx(3.0)
    assert result.agent("after").status is AgentStatus.SKIPPED
    assert result.stopped_reason == "budget"


async def test_the_result_document_and_its_schema_declare_the_same_keys() -> None:
    ens = ensemble(agent("first", profile="paid"), agent("second", "first"), max_cost=1.0)
    result, _ = await collect(ens, priced())
    doc = result.to_document()
    schema = schema_validator("result").schema
    assert set(doc) == set(schema["properties"])
    assert set(doc["totals"]["usage"]) == set(schema["$defs"]["usage"]["properties"])
    budget = schema["properties"]["budget"]["oneOf"][1]
    assert set(doc["budget"]) == set(budget["properties"])
    assert doc["stopped_reason"] in schema["properties"]["stopped_reason"]["enum"]


# A long reply streamed a word a piece, each piece four characters: one estimated token, $1.
LONG_REPLY = " ".join(["wor"] * 1000)


async def test_a_streaming_agent_is_cancelled_once_its_estimated_cost_reaches_the_budget() -> None:
    # The whole reply would cost $1000; its estimate reaches the $10 budget at the 10th piece.
    profiles = priced(
        long={**DOLLAR_A_WORD, "options": {"reply": LONG_REPLY, "latency_seconds": 5.0}}
    )
    ens = ensemble(agent("long", profile="long"), agent("after", "long"), max_cost=10.0)
    result, events = await collect(ens, profiles)
    long = result.agent("long")
    assert long.status is AgentStatus.CANCELLED
    assert long.error is not None and long.error.startswith("budget: ")
    assert result.agent("after").status is AgentStatus.SKIPPED
    assert result.stopped_reason == "budget"
    deltas = [e for e in events if type(e).__name__ == "AgentTextDelta"]
    assert len(deltas) == 10  # stopped at the piece that reached the budget
    # What the cancelled attempt streamed is charged by the same estimate: $10, not $1000.
    assert long.usage.estimated and long.usage.cost == pytest.approx(10.0)
    assert result.budget is not None and result.budget.spent_usd == pytest.approx(10.0)
    cancelled = [e for e in events if isinstance(e, AgentCancelled)]
    assert [e.agent for e in cancelled] == ["long"]


async def test_the_prompts_estimated_input_cost_counts_once_text_streams() -> None:
    # Output is free here; the prompt's input (four characters a token, $1 each) is not.
    prompt = "x" * 400  # 100 estimated tokens with the system prompt's few
    profiles = priced(
        prompty={
            "price_per_million_input_tokens": 1e6,
            "price_per_million_output_tokens": 0.0,
            "options": {"reply": LONG_REPLY, "latency_seconds": 5.0},
        }
    )
    ens = ensemble(agent("prompty", profile="prompty"), max_cost=50.0)
    events: list[RunEvent] = []
    result = await run(ens, prompt, profiles=profiles, on_event=events.append)
    assert result.agent("prompty").status is AgentStatus.CANCELLED
    assert result.stopped_reason == "budget"
    assert len([e for e in events if type(e).__name__ == "AgentTextDelta"]) == 1


async def test_a_streaming_estimate_below_the_budget_stops_nothing() -> None:
    profiles = priced(
        short={**DOLLAR_A_WORD, "options": {"reply": "word wor wor", "latency_seconds": 0.01}}
    )
    ens = ensemble(agent("short", profile="short"), agent("next", "short"), max_cost=10.0)
    result, _ = await collect(ens, profiles)
    assert result.status is RunStatus.SUCCEEDED
    assert result.stopped_reason is None
    # The real usage (3 words: $3) replaced the estimate; nothing is left in flight.
    assert result.budget is not None and result.budget.spent_usd == pytest.approx(3.0)


async def test_the_estimates_of_agents_streaming_side_by_side_add_up() -> None:
    # Neither alone would reach $10 in its first ten pieces; together they do, both mid-reply.
    profiles = priced(
        long={**DOLLAR_A_WORD, "options": {"reply": LONG_REPLY, "latency_seconds": 5.0}}
    )
    ens = ensemble(agent("left", profile="long"), agent("right", profile="long"), max_cost=10.0)
    result, events = await collect(ens, profiles)
    assert [a.status for a in result.agents] == [AgentStatus.CANCELLED, AgentStatus.CANCELLED]
    assert result.stopped_reason == "budget"
    deltas = [e for e in events if type(e).__name__ == "AgentTextDelta"]
    # The tenth piece reaches the budget; the other agent's piece due in the same turn of the
    # event loop may come before the run stops: never more than that one.
    assert len(deltas) in (10, 11) and {e.agent for e in deltas} == {"left", "right"}
    assert result.budget is not None
    assert result.budget.spent_usd == pytest.approx(len(deltas))
