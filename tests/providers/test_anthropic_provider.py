"""The `anthropic` provider on the real anthropic SDK against a loopback server speaking the
Messages API's SSE wire protocol: streaming order, usage with cache tokens, stop reasons, JSON
output, every failure typed (and never retried by the SDK), and a canary key never shown."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest

from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.events import AgentRetrying, AgentTextDelta, RunEvent
from llm_orc.execution.runner import prepare_run, run
from llm_orc.execution.scheduler import EnsembleRun
from llm_orc.providers import registry
from llm_orc.providers.anthropic import DEFAULT_MAX_TOKENS, OFFICIAL_HOST, AnthropicProvider
from llm_orc.providers.base import (
    AuthenticationError,
    ContextTooLongError,
    FinishReason,
    GenerationRequest,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderError,
    RateLimitedError,
    TransientProviderError,
)
from llm_orc.providers.cloud_credentials import NO_KEY, credential_for
from support.ensembles import agent, ensemble
from support.fake_servers import anthropic_wire as wire
from support.fake_servers.http_fake import (
    CUT,
    HANG,
    FakeHTTPServer,
    Pause,
    Recorded,
    Reply,
    Script,
)

CANARY = "sk-ant-canary-5f1d0c9e7b3a4d2e8f6a1b0c"
MODEL = "claude-fake-1"


@pytest.fixture(autouse=True)
def provider_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    yield CANARY


def _stream(*steps: bytes | object, status: int = 200) -> Reply:
    return Reply(status, list(steps), content_type="text/event-stream")  # type: ignore[arg-type]


def _error(status: int, kind: str, message: str, **headers: str) -> Reply:
    return Reply(status, [wire.error_body(kind, message)], headers)


def _request(server: FakeHTTPServer, **fields: object) -> GenerationRequest:
    values: dict[str, object] = {
        "model": MODEL,
        "system_prompt": "You are terse.",
        "prompt": "Say hello.",
        "base_url": server.url,
        "agent": "a",
        "provider": "anthropic",
        # A loopback server is not api.anthropic.com: its profile names the key's variable.
        "api_key_env": "ANTHROPIC_API_KEY",
    }
    values.update(fields)
    return GenerationRequest(**values)  # type: ignore[arg-type]


async def _generate(provider: AnthropicProvider, request: GenerationRequest) -> list[str]:
    pieces: list[str] = []
    try:
        generation = await provider.generate(request, pieces.append)
    finally:
        await provider.aclose()
    assert generation.text == "".join(pieces)
    return pieces


def _sent_key(sent: Recorded) -> str | None:
    """The key a request carried (the SDK sends `x-api-key` or a bearer token)."""
    bearer = sent.headers.get("authorization", "")
    return sent.headers.get("x-api-key") or (bearer.removeprefix("Bearer ") or None)


def _assert_no_canary(*texts: object) -> None:
    for text in texts:
        assert CANARY not in str(text)
        assert CANARY not in repr(text)


async def test_streams_text_in_order_with_usage_and_cache_tokens() -> None:
    events = wire.reply_events(
        ["Hel", "lo", ", world"],
        model="claude-fake-1-20260101",
        input_tokens=10,
        cache_read=5,
        cache_write=3,
        output_tokens=7,
        thinking_tokens=2,
    )
    with FakeHTTPServer(Script(_stream(*events))) as server:
        provider = AnthropicProvider()
        pieces: list[str] = []
        generation = await provider.generate(_request(server, temperature=0.2), pieces.append)
        await provider.aclose()

    assert pieces == ["Hel", "lo", ", world"]
    assert generation.text == "Hello, world"
    assert generation.model == "claude-fake-1-20260101"
    assert generation.finish_reason is FinishReason.STOP
    # Anthropic's input_tokens leaves cached tokens out; the contract's input count has them.
    assert generation.input_tokens == 18
    assert (generation.cache_read_tokens, generation.cache_write_tokens) == (5, 3)
    assert (generation.output_tokens, generation.reasoning_tokens) == (7, 2)
    assert not generation.estimated

    [sent] = server.requests
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert _sent_key(sent) == CANARY
    assert sent.headers.get("x-stainless-retry-count") == "0"
    body = sent.json()
    assert body["model"] == MODEL and body["stream"] is True
    assert body["system"] == "You are terse."
    assert body["messages"] == [{"role": "user", "content": "Say hello."}]
    assert body["max_tokens"] == DEFAULT_MAX_TOKENS
    assert body["temperature"] == 0.2
    assert "output_config" not in body


async def test_text_reaches_the_sink_while_the_stream_is_still_open() -> None:
    events = wire.reply_events(["first", " second"])
    gate = asyncio.Event()
    steps = [*events[:4], HANG]  # start, block, ping, first delta; then nothing
    with FakeHTTPServer(Script(_stream(*steps))) as server:
        provider = AnthropicProvider()

        def on_text(piece: str) -> None:
            gate.set()

        task = asyncio.create_task(provider.generate(_request(server), on_text))
        await asyncio.wait_for(gate.wait(), 10)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await provider.aclose()


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", FinishReason.STOP),
        ("stop_sequence", FinishReason.STOP),
        ("max_tokens", FinishReason.LENGTH),
        ("model_context_window_exceeded", FinishReason.LENGTH),
        ("refusal", FinishReason.CONTENT_FILTER),
        ("pause_turn", FinishReason.OTHER),
    ],
)
async def test_stop_reasons_become_finish_reasons(stop_reason: str, finish: FinishReason) -> None:
    events = wire.reply_events(['{"a": '], stop_reason=stop_reason)
    with FakeHTTPServer(Script(_stream(*events))) as server:
        provider = AnthropicProvider()
        generation = await provider.generate(_request(server, max_tokens=5), lambda _: None)
        await provider.aclose()
    assert generation.finish_reason is finish
    assert server.requests[0].json()["max_tokens"] == 5


async def test_json_schema_goes_as_structured_output_and_options_pass_through() -> None:
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
        "additionalProperties": False,
    }
    options = {"top_k": 5, "top_p": 0.9, "stop_sequences": ["END"], "prompt_caching": True}
    with FakeHTTPServer(Script(_stream(*wire.reply_events(['{"ok": true}'])))) as server:
        provider = AnthropicProvider()
        request = _request(server, json_output=True, json_schema=schema, options=options)
        await _generate(provider, request)
        plain = _request(server, json_output=True, json_schema=schema)
        off = _request(
            server, json_output=True, json_schema=schema, options={"structured_output": False}
        )
        await _generate(provider, plain)
        await _generate(provider, off)
        await _generate(provider, _request(server, json_output=True))

    first, second, third, fourth = (sent.json() for sent in server.requests)
    assert first["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert (first["top_k"], first["top_p"], first["stop_sequences"]) == (5, 0.9, ["END"])
    assert first["cache_control"] == {"type": "ephemeral"}
    assert second["output_config"]["format"]["schema"] == schema
    assert "cache_control" not in second
    assert "output_config" not in third  # structured_output: false
    assert "output_config" not in fourth  # JSON without a schema: asked for by the prompt
    assert all(sent["messages"][-1]["role"] == "user" for sent in (first, fourth))  # no prefill


FAILURES: list[tuple[str, Reply, type[ProviderError]]] = [
    ("401", _error(401, "authentication_error", "invalid x-api-key"), AuthenticationError),
    ("403", _error(403, "permission_error", "not allowed"), AuthenticationError),
    ("404", _error(404, "not_found_error", f"model: {MODEL}"), ModelNotFoundError),
    (
        "429",
        _error(429, "rate_limit_error", "slow down", **{"retry-after": "7"}),
        RateLimitedError,
    ),
    ("400", _error(400, "invalid_request_error", "temperature: bad"), InvalidRequestError),
    (
        "400-context",
        _error(400, "invalid_request_error", "prompt is too long: 250000 tokens > 200000"),
        ContextTooLongError,
    ),
    (
        "413",
        _error(413, "request_too_large", "Request exceeds the maximum size"),
        ContextTooLongError,
    ),
    ("500", _error(500, "api_error", "Internal server error"), TransientProviderError),
    ("529", _error(529, "overloaded_error", "Overloaded"), TransientProviderError),
    (
        "500-not-json",
        Reply(500, [b"<html>bad gateway</html>"], content_type="text/html"),
        TransientProviderError,
    ),
    (
        "error-event",
        _stream(
            *wire.reply_events(["partial"])[:4], wire.error_event("overloaded_error", "Overloaded")
        ),
        TransientProviderError,
    ),
    (
        "error-event-rate",
        _stream(wire.error_event("rate_limit_error", "slow down")),
        RateLimitedError,
    ),
    ("cut", _stream(*wire.reply_events(["partial"])[:4], CUT), TransientProviderError),
    (
        "no-message-stop",
        _stream(*wire.reply_events(["partial", " answer"])[:-1]),
        TransientProviderError,
    ),
    (
        "malformed",
        _stream(*wire.reply_events(["partial"])[:4], wire.sse("content_block_delta", "{not json")),
        TransientProviderError,
    ),
]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [pytest.param(reply, expected, id=name) for name, reply, expected in FAILURES],
)
async def test_failures_are_typed_one_line_tried_once_and_never_show_the_key(
    reply: Reply, expected: type[ProviderError], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeHTTPServer(Script(reply)) as server:
        provider = AnthropicProvider()
        with pytest.raises(ProviderError) as caught:
            await provider.generate(_request(server), lambda _: None)
        await provider.aclose()

    error = caught.value
    assert type(error) is expected, str(error)
    assert len(server.requests) == 1  # the SDK never retried: the engine is the one retry layer
    message = str(error)
    assert message and "\n" not in message and len(message) < 400
    # The SDK's exception (which holds the request and its headers) is never shown with it.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    _assert_no_canary(message, error.args, caplog.text)
    if isinstance(error, RateLimitedError) and reply.status == 429:
        assert error.retry_after == 7.0
    if isinstance(error, AuthenticationError) and reply.status == 401:
        assert "ANTHROPIC_API_KEY" in message


async def test_a_failure_after_streaming_carries_what_the_attempt_used() -> None:
    steps = [*wire.reply_events(["partial text"], input_tokens=20, cache_read=4)[:4], CUT]
    with FakeHTTPServer(Script(_stream(*steps))) as server:
        provider = AnthropicProvider()
        with pytest.raises(TransientProviderError) as caught:
            await provider.generate(_request(server), lambda _: None)
        await provider.aclose()
    usage = caught.value.usage
    assert usage is not None
    assert (usage.input_tokens, usage.cache_read_tokens) == (24, 4)  # reported at message_start
    assert usage.output_tokens >= 1 and usage.estimated  # the final count never came


async def test_a_hung_server_times_out_within_the_idle_timeout_and_its_margin() -> None:
    steps = [*wire.reply_events(["never finished"])[:2], HANG]
    with FakeHTTPServer(Script(_stream(*steps))) as server:
        provider = AnthropicProvider()
        request = _request(server, idle_timeout_seconds=0.2)
        started = asyncio.get_running_loop().time()
        with pytest.raises(TransientProviderError, match="timed out"):
            await provider.generate(request, lambda _: None)
        elapsed = asyncio.get_running_loop().time() - started
        await provider.aclose()
    assert elapsed < 5


async def test_no_key_is_an_authentication_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("MY_CLAUDE_KEY", CANARY)
    with FakeHTTPServer(Script(_stream(*wire.reply_events(["hi"])))) as server:
        provider = AnthropicProvider()
        with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY"):
            await provider.generate(_request(server), lambda _: None)
        await _generate(provider, _request(server, api_key_env="MY_CLAUDE_KEY"))
    assert [_sent_key(sent) for sent in server.requests] == [CANARY]


def test_the_standard_variable_is_the_key_for_api_anthropic_com_only() -> None:
    official = GenerationRequest(model=MODEL, system_prompt="", prompt="")
    found = credential_for("anthropic", official, OFFICIAL_HOST, "Anthropic")
    assert found is not None and found.source == "environment variable ANTHROPIC_API_KEY"
    same_host = GenerationRequest(
        model=MODEL, system_prompt="", prompt="", base_url="https://api.anthropic.com"
    )
    assert credential_for("anthropic", same_host, OFFICIAL_HOST, "Anthropic") == found
    elsewhere = GenerationRequest(
        model=MODEL, system_prompt="", prompt="", base_url="https://gateway.example/anthropic"
    )
    assert credential_for("anthropic", elsewhere, OFFICIAL_HOST, "Anthropic") is None


async def test_another_server_never_gets_anthropic_api_key_unless_its_profile_names_it() -> None:
    refused = _error(401, "authentication_error", "invalid x-api-key")
    with FakeHTTPServer(Script(refused)) as server:
        provider = AnthropicProvider()
        with pytest.raises(AuthenticationError, match="api_key_env") as caught:
            await provider.generate(_request(server, api_key_env=None), lambda _: None)
        await provider.aclose()
    [sent] = server.requests
    assert _sent_key(sent) == NO_KEY
    _assert_no_canary(caught.value, sent.headers)


async def test_one_client_and_connection_for_requests_in_turn() -> None:
    with FakeHTTPServer(Script(_stream(*wire.reply_events(["hi"])))) as server:
        provider = AnthropicProvider()
        for _ in range(3):
            await provider.generate(_request(server), lambda _: None)
        await provider.aclose()
    assert len(server.requests) == 3
    assert server.connections == 1


def _profiles(url: str) -> dict[str, ModelProfile]:
    return {
        "claude": ModelProfile(
            name="claude",
            provider="anthropic-api",  # the public format's name
            model=MODEL,
            base_url=url,
            api_key_env="ANTHROPIC_API_KEY",
            price_per_million_input_tokens=3.0,
            price_per_million_output_tokens=15.0,
        )
    }


def _retries(count: int) -> dict[str, float]:
    return {"count": count, "initial_delay_seconds": 0, "max_delay_seconds": 30}


async def test_a_run_waits_retry_after_on_429_then_succeeds() -> None:
    script = Script(
        _error(429, "rate_limit_error", "slow down", **{"retry-after": "0.05"}),
        _stream(*wire.reply_events(["fine"], input_tokens=10, output_tokens=2)),
    )
    events: list[RunEvent] = []
    with FakeHTTPServer(script) as server:
        result = await run(
            ensemble(agent("a", profile="claude", retries=_retries(2))),
            "go",
            profiles=_profiles(server.url),
            on_event=events.append,
        )
    outcome = result.agent("a")
    assert outcome.status.value == "succeeded" and outcome.output == "fine"
    assert [e.delay_seconds for e in events if isinstance(e, AgentRetrying)] == [0.05]
    assert len(server.requests) == 2
    assert (outcome.usage.input_tokens, outcome.usage.output_tokens) == (10, 2)
    assert outcome.usage.cost == pytest.approx((10 * 3.0 + 2 * 15.0) / 1e6)


async def test_a_run_retries_a_500_and_a_cut_stream_then_succeeds() -> None:
    script = Script(
        _error(500, "api_error", "Internal server error"),
        _stream(*wire.reply_events(["half"])[:4], CUT),
        _stream(*wire.reply_events(["whole"], input_tokens=10, output_tokens=3)),
    )
    with FakeHTTPServer(script) as server:
        result = await run(
            ensemble(agent("a", profile="claude", retries=_retries(3))),
            "go",
            profiles=_profiles(server.url),
        )
    outcome = result.agent("a")
    assert outcome.status.value == "succeeded" and outcome.output == "whole"
    assert outcome.attempts == 3 and len(server.requests) == 3
    document = json.dumps(result.to_document())
    assert CANARY not in document
    assert outcome.usage.input_tokens >= 20  # the cut attempt's input is counted too


async def test_a_run_does_not_retry_a_refused_key_and_names_the_variable() -> None:
    with FakeHTTPServer(Script(_error(401, "authentication_error", "invalid x-api-key"))) as server:
        result = await run(
            ensemble(agent("a", profile="claude", retries=_retries(3))),
            "go",
            profiles=_profiles(server.url),
        )
    outcome = result.agent("a")
    assert outcome.status.value == "failed" and outcome.error_type == "authentication"
    assert len(server.requests) == 1
    document = json.dumps(result.to_document())
    assert CANARY not in document and "ANTHROPIC_API_KEY" in document


async def test_cancelling_a_run_mid_stream_ends_the_attempt_and_counts_what_streamed() -> None:
    steps = [*wire.reply_events(["streaming..."])[:4], Pause(30), *wire.reply_events([])[-3:]]
    with FakeHTTPServer(Script(_stream(*steps))) as server:
        holder: list[EnsembleRun] = []

        def on_event(event: RunEvent) -> None:
            if isinstance(event, AgentTextDelta):
                holder[0].cancel()

        execution = prepare_run(
            ensemble(agent("a", profile="claude")),
            "go",
            profiles=_profiles(server.url),
            emit=on_event,
            options=None,
        )
        holder.append(execution)
        result = await asyncio.wait_for(execution.execute(), 10)
    outcome = result.agent("a")
    assert outcome.status.value == "cancelled"
    assert outcome.usage.output_tokens > 0 and outcome.usage.estimated


def test_the_alias_and_the_name_are_registered() -> None:
    assert registry.provider_class("anthropic") is AnthropicProvider
    assert registry.provider_class("anthropic-api") is AnthropicProvider
    assert registry.provider_availability("anthropic") is None
    assert registry.provider_options_schema("anthropic-api") == AnthropicProvider.options_schema
