"""`openai-compatible` on the real `openai` SDK against a loopback server speaking OpenAI's SSE
wire protocol (`/v1/chat/completions`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.events import AgentRetrying, RunEvent, event_to_dict
from llm_orc.execution.result import RunResult
from llm_orc.execution.runner import run
from llm_orc.providers.base import (
    AuthenticationError,
    ContextTooLongError,
    FinishReason,
    GenerationRequest,
    ModelNotFoundError,
    ProviderError,
    RateLimitedError,
    TransientProviderError,
)
from llm_orc.providers.openai_compatible import OpenAICompatibleProvider
from support.ensembles import agent, ensemble, scripted_profiles
from support.fake_servers import openai_wire as wire
from support.fake_servers.canary import CANARY, CANARY_ENV
from support.fake_servers.http_fake import CUT, HANG, FakeHTTPServer, Reply, Script


def _request(server: FakeHTTPServer, **fields: Any) -> GenerationRequest:
    values: dict[str, Any] = {
        "model": wire.MODEL,
        "system_prompt": "Be brief.",
        "prompt": "Say hello.",
        "base_url": server.url + "/v1",
        "api_key_env": CANARY_ENV,
        "provider": "openai-compatible",
        **fields,
    }
    return GenerationRequest(**values)


async def _generate(server: FakeHTTPServer, **fields: Any) -> tuple[Any, list[str]]:
    provider = OpenAICompatibleProvider()
    pieces: list[str] = []
    try:
        return await provider.generate(_request(server, **fields), pieces.append), pieces
    finally:
        await provider.aclose()


async def test_text_streams_in_order_with_the_servers_usage() -> None:
    reply = wire.stream(["Hel", "lo", " there"], usage=(12, 3))
    reply.body = [*reply.body[:-2], wire.usage_chunk(12, 3, cached=5, reasoning=1), wire.DONE]
    with FakeHTTPServer(Script(reply)) as server:
        generation, pieces = await _generate(server, temperature=0.5, max_tokens=40)
    assert pieces == ["Hel", "lo", " there"] and generation.text == "Hello there"
    assert (generation.input_tokens, generation.output_tokens) == (12, 3)
    assert (generation.cache_read_tokens, generation.reasoning_tokens) == (5, 1)
    assert not generation.estimated and generation.finish_reason is FinishReason.STOP
    [sent] = server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    body = sent.json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hello."},
    ]
    assert (body["temperature"], body["max_tokens"], body["model"]) == (0.5, 40, wire.MODEL)
    assert sent.headers.get("x-stainless-retry-count", "0") == "0"


async def test_a_server_that_sends_no_usage_gets_an_estimate_marked_estimated() -> None:
    with FakeHTTPServer(Script(wire.stream(["one two three"], usage=None))) as server:
        generation, _ = await _generate(server)
    assert generation.estimated and generation.output_tokens > 0 and generation.input_tokens > 0


async def test_a_reply_cut_by_max_tokens_says_length() -> None:
    with FakeHTTPServer(Script(wire.stream(['{"a": '], finish="length"))) as server:
        generation, _ = await _generate(server, json_output=True)
    assert generation.finish_reason is FinishReason.LENGTH
    assert server.requests[0].json()["response_format"] == {"type": "json_object"}


async def test_json_schema_output_is_asked_for_with_response_format() -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    with FakeHTTPServer(Script(wire.stream(['{"ok": true}']))) as server:
        await _generate(server, json_output=True, json_schema=schema, options={"seed": 3})
    body = server.requests[0].json()
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": schema},
    }
    assert body["seed"] == 3


async def test_a_local_server_gets_no_key_unless_its_profile_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    with FakeHTTPServer(Script(wire.stream(["hi"]))) as server:
        await _generate(server, api_key_env=None)
    assert CANARY not in json.dumps(server.requests[0].headers)


@pytest.mark.parametrize(
    ("reply", "kind", "words"),
    [
        (wire.error(401, f"Incorrect API key provided: {CANARY}"), AuthenticationError, "401"),
        (wire.error(404, "The model does not exist"), ModelNotFoundError, "fake-gpt"),
        (
            wire.error(400, "too long", code="context_length_exceeded"),
            ContextTooLongError,
            "too long",
        ),
        (wire.error(429, "slow down", retry_after="7"), RateLimitedError, "retry after 7s"),
        (wire.error(503, "overloaded"), TransientProviderError, "503"),
        (
            wire.sse([wire.chunk("par"), b"data: {not json\n\n"]),
            TransientProviderError,
            "malformed",
        ),
        (
            wire.sse([wire.chunk("par"), wire.chunk("tial"), CUT]),
            TransientProviderError,
            "mid-reply",
        ),
    ],
    ids=["401", "404", "context", "429", "503", "malformed", "cut"],
)
async def test_failures_are_typed_one_line_and_never_show_the_key(
    reply: Reply, kind: type[ProviderError], words: str
) -> None:
    with FakeHTTPServer(Script(reply)) as server, pytest.raises(kind) as raised:
        await _generate(server)
    message = str(raised.value)
    assert words in message and "\n" not in message and CANARY not in message
    assert CANARY not in repr(raised.value.__dict__)
    if isinstance(raised.value, RateLimitedError):
        assert raised.value.retry_after == 7
    if words in ("malformed", "mid-reply"):  # it streamed before failing: its usage is kept
        assert raised.value.usage is not None and raised.value.usage.output_tokens > 0


# --- through the engine ------------------------------------------------------------------


def _profiles(server: FakeHTTPServer, **fields: Any) -> dict[str, ModelProfile]:
    profiles = scripted_profiles()
    profiles["oa"] = ModelProfile(
        name="oa",
        model=wire.MODEL,
        provider="openai-compatible",
        base_url=server.url + "/v1",
        api_key_env=CANARY_ENV,
        **fields,
    )
    return profiles


async def _run(
    server: FakeHTTPServer, retries: int = 0, **fields: Any
) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    result = await run(
        ensemble(
            agent(
                "a",
                profile="oa",
                retries={"count": retries, "initial_delay_seconds": 0, "max_delay_seconds": 5},
            )
        ),
        "x",
        profiles=_profiles(server, **fields),
        on_event=events.append,
    )
    everything = json.dumps([event_to_dict(e) for e in events]) + json.dumps(result.to_document())
    assert CANARY not in everything
    return result, events


async def test_429_with_retry_after_is_waited_then_the_retry_succeeds() -> None:
    script = Script(wire.error(429, "slow down", retry_after_ms="50"), wire.stream(["ok"]))
    with FakeHTTPServer(script) as server:
        result, events = await _run(server, retries=1)
    assert result.agent("a").status.value == "succeeded" and result.agent("a").output == "ok"
    assert [e.delay_seconds for e in events if isinstance(e, AgentRetrying)] == [0.05]
    assert len(server.requests) == 2  # the SDK itself did not retry


async def test_500_then_success_and_the_usage_adds_up() -> None:
    script = Script(wire.error(500, "boom"), wire.stream(["fine"], usage=(10, 1)))
    with FakeHTTPServer(script) as server:
        result, _ = await _run(
            server,
            retries=1,
            price_per_million_input_tokens=1.0,
            price_per_million_output_tokens=0.0,  # unset, a loopback server's price is unknown
        )
    usage = result.agent("a").usage
    assert result.agent("a").attempts == 2 and (usage.input_tokens, usage.output_tokens) == (10, 1)
    assert usage.cost == pytest.approx(10 / 1e6)
    assert result.to_document()["agents"][0]["finish_reason"] == "stop"


async def test_401_fails_at_once_with_its_type() -> None:
    with FakeHTTPServer(Script(wire.error(401, "bad key"))) as server:
        result, _ = await _run(server, retries=3)
    failed = result.agent("a")
    assert failed.status.value == "failed" and failed.attempts == 1
    assert failed.error_type == "authentication" and CANARY_ENV in (failed.error or "")


async def test_a_hung_server_fails_on_the_idle_timeout() -> None:
    hung = wire.sse([wire.chunk("start"), HANG])
    with FakeHTTPServer(Script(hung)) as server:
        result, _ = await _run(server, idle_timeout_seconds=0.2, timeout_seconds=30)
    failed = result.agent("a")
    assert failed.error_type == "timeout" and "idle_timeout_seconds" in (failed.error or "")
    assert failed.usage.estimated and failed.usage.output_tokens > 0


async def test_a_slow_but_steady_stream_fails_on_the_whole_attempt_timeout() -> None:
    steady = wire.stream(["a"] * 50, pause=0.05)
    with FakeHTTPServer(Script(steady)) as server:
        result, _ = await _run(server, idle_timeout_seconds=1.0, timeout_seconds=0.4)
    failed = result.agent("a")
    assert failed.error_type == "timeout" and failed.error == "timed out after 0.4s"


async def test_cancelling_mid_stream_stops_the_text_at_once() -> None:
    slow = wire.stream(["a", "b", "c", "d"], pause=0.2)
    with FakeHTTPServer(Script(slow)) as server:
        provider = OpenAICompatibleProvider()
        first = asyncio.Event()
        pieces: list[str] = []

        def on_text(piece: str) -> None:
            pieces.append(piece)
            first.set()

        task = asyncio.create_task(provider.generate(_request(server), on_text))
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        seen = list(pieces)
        await provider.aclose()
    assert seen == ["a"] and pieces == seen


def test_two_asyncio_runs_in_one_process_each_get_a_working_client() -> None:
    with FakeHTTPServer(Script(wire.stream(["again"]))) as server:
        for _ in range(2):
            result, _ = asyncio.run(_run(server))
            assert result.agent("a").output == "again"
    assert len(server.requests) == 2


async def test_200_requests_reuse_the_pool() -> None:
    with FakeHTTPServer(Script(wire.stream(["x"]))) as server:
        provider = OpenAICompatibleProvider()
        gate = asyncio.Semaphore(8)

        async def one() -> None:
            async with gate:
                await provider.generate(_request(server), lambda _: None)

        await asyncio.gather(*(one() for _ in range(200)))
        await provider.aclose()
    assert len(server.requests) == 200
    assert server.connections <= 8


async def test_a_missing_named_key_says_which_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CANARY_ENV)
    with FakeHTTPServer(Script(wire.stream(["x"]))) as server, pytest.raises(ProviderError) as e:
        await _generate(server)
    assert CANARY_ENV in str(e.value) and not server.requests


async def test_a_long_stream_is_cancelled_mid_reply_once_its_estimate_reaches_the_budget() -> None:
    # 2,000 pieces of four characters at $1 an output token: $2,000 if it ran to the end.
    long = wire.stream(["wor "] * 2000, pause=0.005)
    with FakeHTTPServer(Script(long)) as server:
        events: list[RunEvent] = []
        result = await run(
            ensemble(agent("a", profile="oa"), max_cost=20.0),
            "x",
            profiles=_profiles(
                server, price_per_million_input_tokens=0.0, price_per_million_output_tokens=1e6
            ),
            on_event=events.append,
        )
    stopped = result.agent("a")
    assert stopped.status.value == "cancelled" and (stopped.error or "").startswith("budget: ")
    assert result.stopped_reason == "budget"
    assert result.budget is not None
    # Charged what it streamed (estimated): about the budget, not the whole reply. Past the
    # budget only what the client had already read when the cancel came (a slow machine may
    # hold a few pieces in the socket's buffer).
    assert 20.0 <= result.budget.spent_usd < 60.0
    assert stopped.usage.estimated
    assert CANARY not in json.dumps(result.to_document())
