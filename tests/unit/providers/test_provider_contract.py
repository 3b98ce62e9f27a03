"""The provider contract as the engine keeps it: typed errors, the one retry layer, usage of
failed attempts, finish reasons, the idle timeout, per-loop instances and credentials."""

from __future__ import annotations

import asyncio
import json
import random
from typing import ClassVar

import pytest

from llm_orc.config.profiles import ModelProfile
from llm_orc.credentials.lookup import Secret, find_credential
from llm_orc.execution.events import AgentRetrying, RunEvent
from llm_orc.execution.runner import run
from llm_orc.providers import registry
from llm_orc.providers.base import (
    AuthenticationError,
    FinishReason,
    Generation,
    GenerationRequest,
    RateLimitedError,
    TextSink,
    TokenUsage,
    TransientProviderError,
)
from llm_orc.schemas import schema_validator
from support.ensembles import agent, ensemble, scripted_profiles

CANARY = "sk-canary-0123456789abcdef"


class Scripted:
    """Fails as told on the first attempts, then streams "one two" and ends as told."""

    name: ClassVar[str] = "contract-double"
    default_max_concurrency: ClassVar[int | None] = None

    def __init__(self, failures: list[Exception], finish: FinishReason = FinishReason.STOP):
        self.failures = failures
        self.finish = finish
        self.requests: list[GenerationRequest] = []

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        self.requests.append(request)
        if self.failures:
            raise self.failures.pop(0)
        on_text("one ")
        on_text("two")
        return Generation(
            "one two", 10, 2, request.model, self.finish, cache_read_tokens=4, reasoning_tokens=1
        )


def _profiles(provider: object, **fields: object) -> dict[str, ModelProfile]:
    registry.register_provider("contract-double", provider)  # type: ignore[arg-type]
    profiles = scripted_profiles()
    profiles["p"] = ModelProfile(
        name="p",
        model="m",
        provider="contract-double",
        price_per_million_input_tokens=1.0,
        price_per_million_output_tokens=2.0,
        **fields,  # type: ignore[arg-type]
    )
    return profiles


def _retries(count: int, max_delay: float = 30.0) -> dict[str, float]:
    return {"count": count, "initial_delay_seconds": 0, "max_delay_seconds": max_delay}


async def test_rate_limited_waits_retry_after_capped_by_the_agents_max_delay() -> None:
    double = Scripted([RateLimitedError("slow down", retry_after=0.02)])
    events: list[RunEvent] = []
    result = await run(
        ensemble(agent("a", profile="p", retries=_retries(1))),
        "x",
        profiles=_profiles(double),
        on_event=events.append,
    )
    assert result.agent("a").status.value == "succeeded"
    retrying = [e for e in events if isinstance(e, AgentRetrying)]
    assert [e.delay_seconds for e in retrying] == [0.02]

    capped = Scripted([RateLimitedError("slow down", retry_after=3600)])
    events.clear()
    await run(
        ensemble(agent("a", profile="p", retries=_retries(1, max_delay=0.01))),
        "x",
        profiles=_profiles(capped),
        on_event=events.append,
    )
    assert [e.delay_seconds for e in events if isinstance(e, AgentRetrying)] == [0.01]


async def test_permanent_errors_are_not_retried_and_keep_their_type() -> None:
    double = Scripted([AuthenticationError("the key was refused; set OPENAI_API_KEY")])
    result = await run(
        ensemble(agent("a", profile="p", retries=_retries(3))), "x", profiles=_profiles(double)
    )
    failed = result.agent("a")
    assert failed.status.value == "failed" and failed.attempts == 1
    assert failed.error_type == "authentication"
    assert result.to_document()["agents"][0]["error"]["type"] == "authentication"


async def test_usage_counts_failed_attempts_reported_or_estimated() -> None:
    spent = TokenUsage(input_tokens=7, output_tokens=3)
    double = Scripted(
        [TransientProviderError("stream cut", usage=spent), TransientProviderError("reset")]
    )
    result = await run(
        ensemble(agent("a", profile="p", retries=_retries(2))), "x", profiles=_profiles(double)
    )
    usage = result.agent("a").usage
    assert (usage.input_tokens, usage.output_tokens) == (17, 5)
    assert (usage.cache_read_tokens, usage.reasoning_tokens) == (4, 1)
    assert usage.cost == pytest.approx((17 * 1.0 + 5 * 2.0) / 1e6)
    assert not usage.estimated


class StreamsThenDrops:
    name: ClassVar[str] = "contract-double"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        on_text("a partial answer")
        raise TransientProviderError("the stream was cut")


async def test_an_attempt_that_streamed_without_reported_usage_is_estimated_and_marked() -> None:
    result = await run(
        ensemble(agent("a", profile="p")), "x", profiles=_profiles(StreamsThenDrops())
    )
    usage = result.agent("a").usage
    assert usage.estimated and usage.output_tokens > 0 and usage.input_tokens > 0
    document = result.to_document()
    schema_validator("result").validate(document)
    assert document["agents"][0]["usage"]["estimated"] is True


async def test_finish_reason_length_is_in_the_result_document() -> None:
    double = Scripted([], finish=FinishReason.LENGTH)
    result = await run(ensemble(agent("a", profile="p")), "x", profiles=_profiles(double))
    document = result.to_document()
    schema_validator("result").validate(document)
    assert document["agents"][0]["finish_reason"] == "length"
    assert json.loads(json.dumps(document))["totals"]["usage"]["cache_read_tokens"] == 4


async def test_requests_carry_the_profiles_provider_fields() -> None:
    double = Scripted([])
    profiles = _profiles(double, api_key_env="MY_KEY", idle_timeout_seconds=5.0)
    await run(ensemble(agent("a", profile="p")), "x", profiles=profiles)
    request = double.requests[0]
    assert (request.provider, request.profile, request.api_key_env) == (
        "contract-double",
        "p",
        "MY_KEY",
    )
    assert request.idle_timeout_seconds == 5.0


class SilentAfterFirst:
    """Sends one piece, then nothing until cancelled; the second attempt answers."""

    name: ClassVar[str] = "contract-double"
    default_max_concurrency: ClassVar[int | None] = None

    def __init__(self) -> None:
        self.cancelled = 0

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        on_text("first ")
        if request.attempt == 1:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        return Generation("first ok", 1, 2, request.model)


async def test_the_idle_timeout_fails_a_silent_attempt_and_the_retry_succeeds() -> None:
    double = SilentAfterFirst()
    profiles = _profiles(double, idle_timeout_seconds=0.05, timeout_seconds=60)
    events: list[RunEvent] = []
    result = await run(
        ensemble(agent("a", profile="p", retries=_retries(1))),
        "x",
        profiles=profiles,
        on_event=events.append,
    )
    assert result.agent("a").status.value == "succeeded" and double.cancelled == 1
    [retrying] = [e for e in events if isinstance(e, AgentRetrying)]
    assert "idle_timeout_seconds" in retrying.error
    assert result.agent("a").usage.estimated  # the silent attempt's streamed text is counted


class Closable:
    name: ClassVar[str] = "closable"
    default_max_concurrency: ClassVar[int | None] = None
    instances: ClassVar[list[Closable]] = []

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.closed = False
        Closable.instances.append(self)

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        assert asyncio.get_running_loop() is self.loop, "used on another loop"
        return Generation("ok", 1, 1, request.model)

    async def aclose(self) -> None:
        self.closed = True


def test_each_event_loop_gets_its_own_instance_closed_when_the_loop_ends() -> None:
    Closable.instances.clear()
    registry.register_provider("closable", Closable)

    async def twice() -> bool:
        return registry.get_provider("closable") is registry.get_provider("closable")

    assert asyncio.run(twice())
    assert asyncio.run(twice())
    first, second = Closable.instances
    assert first is not second and first.closed and second.closed


async def test_close_providers_closes_now_and_later_use_makes_a_new_one() -> None:
    Closable.instances.clear()
    registry.register_provider("closable", Closable)
    first = registry.get_provider("closable")
    await registry.close_providers()
    assert Closable.instances[0].closed
    assert registry.get_provider("closable") is not first


def test_a_secret_never_shows_its_value() -> None:
    secret = Secret(CANARY)
    for text in (repr(secret), str(secret), f"{secret}", repr([secret]), repr({"k": secret})):
        assert CANARY not in text
    assert secret.reveal() == CANARY
    assert CANARY not in secret.fingerprint


def test_find_credential_reads_the_named_variable_only_else_the_standard_ones() -> None:
    env = {"OPENAI_API_KEY": "standard", "MY_KEY": CANARY, "GOOGLE_API_KEY": "g"}
    named = find_credential("openai-compatible", "MY_KEY", environ=env)
    assert named is not None and named.secret.reveal() == CANARY
    assert named.source == "environment variable MY_KEY" and CANARY not in repr(named)
    assert find_credential("openai-compatible", "MISSING", environ=env) is None
    standard = find_credential("openai-compatible", environ=env)
    assert standard is not None and standard.secret.reveal() == "standard"
    google = find_credential("google", environ=env)
    assert google is not None and google.source == "environment variable GOOGLE_API_KEY"
    assert find_credential("ollama", environ=env) is None


def test_backoff_without_retry_after_is_unchanged() -> None:
    from llm_orc.config.ensemble import RetryPolicy
    from llm_orc.execution.retry import backoff_delay

    policy = RetryPolicy(count=2, initial_delay_seconds=0.5, max_delay_seconds=1.0)
    assert 0 <= backoff_delay(policy, 3, random.Random(1)) <= 1.0


class StreamsThenWaits:
    """Streams a piece, tells the test, then waits until cancelled."""

    name: ClassVar[str] = "contract-double"
    default_max_concurrency: ClassVar[int | None] = None

    def __init__(self) -> None:
        self.streamed = asyncio.Event()

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        on_text("some paid-for text")
        self.streamed.set()
        await asyncio.Event().wait()
        raise AssertionError("not reached")


async def test_a_cancelled_agent_keeps_the_usage_of_what_it_streamed() -> None:
    from llm_orc.execution.runner import prepare_run

    double = StreamsThenWaits()
    execution = prepare_run(
        ensemble(agent("a", profile="p")),
        "x",
        profiles=_profiles(double),
        emit=lambda _: None,
        options=None,
    )
    task = asyncio.create_task(execution.execute())
    await double.streamed.wait()
    execution.cancel()
    result = await task
    cancelled = result.agent("a")
    assert cancelled.status.value == "cancelled"
    assert cancelled.usage.estimated and cancelled.usage.output_tokens > 0


def test_an_unknown_cost_is_null_in_documents_and_reads_back() -> None:
    from llm_orc.execution.events import Usage
    from llm_orc.execution.result import AgentResult, AgentStatus, RunResult, RunStatus

    unknown = Usage(5, 1, None, reasoning_tokens=1)
    run_result = RunResult(
        run_id="r",
        ensemble="e",
        input="x",
        status=RunStatus.SUCCEEDED,
        agents=[
            AgentResult("a", AgentStatus.SUCCEEDED, "ok", usage=unknown, finish_reason="stop"),
            AgentResult("b", AgentStatus.SUCCEEDED, "ok", usage=Usage(1, 1, 0.5)),
        ],
        execution_order=["a", "b"],
        final_agent="b",
        started_at="2026-01-01T00:00:00.000+00:00",
        duration_seconds=1.0,
    )
    document = run_result.to_document()
    schema_validator("result").validate(document)
    assert document["agents"][0]["usage"]["cost_usd"] is None
    assert document["totals"]["usage"]["cost_usd"] is None  # a sum with an unknown is unknown
    again = RunResult.from_document(json.loads(json.dumps(document)))
    assert again.agent("a").usage == unknown and again.agent("a").finish_reason == "stop"
