"""The `google` provider on the real google-genai SDK against a loopback server speaking the
Gemini API's `:streamGenerateContent?alt=sse` wire protocol: streaming order, real usage
metadata (cached and thoughts tokens), finish reasons, JSON output, every failure typed (and
never retried by the SDK), and a canary key never shown."""

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
from llm_orc.providers.google import OFFICIAL_HOST, GoogleProvider
from support.ensembles import agent, ensemble
from support.fake_servers import gemini_wire as wire
from support.fake_servers.http_fake import CUT, HANG, FakeHTTPServer, Pause, Reply, Script

CANARY = "AIzaCanary-3c1e5a7b9d0f2e4a6c8b0d1f3e5"
MODEL = "gemini-fake-1"


@pytest.fixture(autouse=True)
def provider_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_GENAI_USE_VERTEXAI", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", CANARY)
    yield CANARY


def _stream(*steps: object) -> Reply:
    return Reply(200, list(steps), content_type="text/event-stream")  # type: ignore[arg-type]


def _error(
    status: int,
    code_status: str,
    message: str,
    details: list[dict[str, object]] | None = None,
    **headers: str,
) -> Reply:
    return Reply(status, [wire.error_body(status, code_status, message, details)], headers)


def _request(server: FakeHTTPServer, **fields: object) -> GenerationRequest:
    values: dict[str, object] = {
        "model": MODEL,
        "system_prompt": "You are terse.",
        "prompt": "Say hello.",
        "base_url": server.url,
        "agent": "a",
        "provider": "google",
        # A loopback server is not the Gemini API's host: its profile names the key's variable.
        "api_key_env": "GEMINI_API_KEY",
    }
    values.update(fields)
    return GenerationRequest(**values)  # type: ignore[arg-type]


def _assert_no_canary(*texts: object) -> None:
    for text in texts:
        assert CANARY not in str(text)
        assert CANARY not in repr(text)


async def test_streams_text_in_order_with_real_usage_metadata() -> None:
    chunks = wire.reply_chunks(
        ["Hel", "lo", ", world"], prompt_tokens=20, candidates_tokens=6, cached=8, thoughts=4
    )
    chunks.insert(1, wire.chunk(thought="thinking about it", usage=wire.usage_metadata(20, 1)))
    with FakeHTTPServer(Script(_stream(*chunks))) as server:
        provider = GoogleProvider()
        pieces: list[str] = []
        request = _request(server, temperature=0.3, max_tokens=50)
        generation = await provider.generate(request, pieces.append)
        await provider.aclose()

    assert pieces == ["Hel", "lo", ", world"]  # the thought part is not part of the answer
    assert generation.text == "Hello, world"
    assert generation.finish_reason is FinishReason.STOP
    assert generation.input_tokens == 20 and generation.cache_read_tokens == 8
    assert generation.output_tokens == 10 and generation.reasoning_tokens == 4
    assert not generation.estimated

    [sent] = server.requests
    assert sent.method == "POST"
    version, _, rest = sent.path.removeprefix("/").partition("/")
    assert version in ("v1", "v1beta")
    assert rest == f"models/{MODEL}:streamGenerateContent?alt=sse"
    assert sent.headers["x-goog-api-key"] == CANARY
    assert CANARY not in sent.path
    body = sent.json()
    assert body["contents"][0]["parts"][0]["text"] == "Say hello."
    assert body["systemInstruction"]["parts"][0]["text"] == "You are terse."
    config = body["generationConfig"]
    assert config["temperature"] == 0.3 and config["maxOutputTokens"] == 50
    assert "responseMimeType" not in config


async def test_text_reaches_the_sink_while_the_stream_is_still_open() -> None:
    gate = asyncio.Event()
    first = wire.chunk("first", usage=wire.usage_metadata(5, 1))
    with FakeHTTPServer(Script(_stream(first, HANG))) as server:
        provider = GoogleProvider()
        task = asyncio.create_task(provider.generate(_request(server), lambda _: gate.set()))
        await asyncio.wait_for(gate.wait(), 10)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await provider.aclose()


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        ("STOP", FinishReason.STOP),
        ("MAX_TOKENS", FinishReason.LENGTH),
        ("SAFETY", FinishReason.CONTENT_FILTER),
        ("RECITATION", FinishReason.CONTENT_FILTER),
        ("PROHIBITED_CONTENT", FinishReason.CONTENT_FILTER),
        ("MALFORMED_FUNCTION_CALL", FinishReason.OTHER),
    ],
)
async def test_finish_reasons(reason: str, finish: FinishReason) -> None:
    with FakeHTTPServer(
        Script(_stream(*wire.reply_chunks(['{"a": '], finish_reason=reason)))
    ) as server:
        provider = GoogleProvider()
        generation = await provider.generate(_request(server), lambda _: None)
        await provider.aclose()
    assert generation.finish_reason is finish


async def test_a_blocked_prompt_ends_with_content_filter_and_no_text() -> None:
    blocked = wire.sse(
        {
            "promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": wire.usage_metadata(9, 0),
            "modelVersion": MODEL,
        }
    )
    with FakeHTTPServer(Script(_stream(blocked))) as server:
        provider = GoogleProvider()
        generation = await provider.generate(_request(server), lambda _: None)
        await provider.aclose()
    assert generation.finish_reason is FinishReason.CONTENT_FILTER
    assert generation.text == "" and generation.input_tokens == 9


async def test_json_goes_as_response_mime_type_and_the_schema_as_json_schema() -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    options = {"top_k": 5, "top_p": 0.9, "stop_sequences": ["END"], "seed": 7, "thinking_budget": 0}
    with FakeHTTPServer(Script(_stream(*wire.reply_chunks(['{"ok": true}'])))) as server:
        provider = GoogleProvider()
        for request in (
            _request(server, json_output=True, json_schema=schema, options=options),
            _request(server, json_output=True),
            _request(
                server, json_output=True, json_schema=schema, options={"structured_output": False}
            ),
        ):
            await provider.generate(request, lambda _: None)
        await provider.aclose()

    first, second, third = (sent.json()["generationConfig"] for sent in server.requests)
    assert first["responseMimeType"] == "application/json"
    assert first["responseJsonSchema"] == schema
    assert (first["topK"], first["topP"], first["stopSequences"], first["seed"]) == (
        5,
        0.9,
        ["END"],
        7,
    )
    # Protobuf JSON takes a field's own name as well as its camelCase one.
    assert first["thinkingConfig"] in ({"thinkingBudget": 0}, {"thinking_budget": 0})
    assert second["responseMimeType"] == "application/json" and "responseJsonSchema" not in second
    assert third["responseMimeType"] == "application/json" and "responseJsonSchema" not in third


FAILURES: list[tuple[str, Reply, type[ProviderError]]] = [
    (
        "400-bad-key",
        _error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            [wire.error_info("API_KEY_INVALID")],
        ),
        AuthenticationError,
    ),
    (
        "401",
        _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
        AuthenticationError,
    ),
    (
        "403",
        _error(403, "PERMISSION_DENIED", "Permission denied on resource."),
        AuthenticationError,
    ),
    (
        "404",
        _error(404, "NOT_FOUND", f"models/{MODEL} is not found for API version v1beta"),
        ModelNotFoundError,
    ),
    (
        "429",
        _error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", [wire.retry_info(17)]),
        RateLimitedError,
    ),
    (
        "400",
        _error(400, "INVALID_ARGUMENT", "Invalid value at 'generation_config.temperature'"),
        InvalidRequestError,
    ),
    (
        "400-context",
        _error(
            400,
            "INVALID_ARGUMENT",
            "The input token count (2000000) exceeds the maximum number of tokens allowed "
            "(1048576).",
        ),
        ContextTooLongError,
    ),
    ("500", _error(500, "INTERNAL", "An internal error has occurred."), TransientProviderError),
    ("503", _error(503, "UNAVAILABLE", "The model is overloaded."), TransientProviderError),
    (
        "502-not-json",
        Reply(502, [b"<html>bad gateway</html>"], content_type="text/html"),
        TransientProviderError,
    ),
    (
        "error-chunk",
        _stream(
            wire.chunk("partial", usage=wire.usage_metadata(5, 1)),
            wire.sse({"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}),
        ),
        TransientProviderError,
    ),
    (
        "cut",
        _stream(wire.chunk("partial", usage=wire.usage_metadata(5, 1)), CUT),
        TransientProviderError,
    ),
    (
        "no-finish-reason",
        _stream(wire.chunk("partial", usage=wire.usage_metadata(5, 1))),
        TransientProviderError,
    ),
    (
        "malformed",
        _stream(wire.chunk("partial", usage=wire.usage_metadata(5, 1)), wire.sse("{not json")),
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
        provider = GoogleProvider()
        with pytest.raises(ProviderError) as caught:
            await provider.generate(_request(server), lambda _: None)
        await provider.aclose()

    error = caught.value
    assert type(error) is expected, str(error)
    assert len(server.requests) == 1  # the SDK never retried: the engine is the one retry layer
    message = str(error)
    assert message and "\n" not in message and len(message) < 400
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    _assert_no_canary(message, error.args, caplog.text)
    if isinstance(error, RateLimitedError):
        assert error.retry_after == 17.0
    if isinstance(error, AuthenticationError) and reply.status in (400, 401):
        assert "GEMINI_API_KEY" in message


async def test_retry_after_header_when_the_body_has_no_retry_info() -> None:
    reply = _error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", **{"Retry-After": "3"})
    with FakeHTTPServer(Script(reply)) as server:
        provider = GoogleProvider()
        with pytest.raises(RateLimitedError) as caught:
            await provider.generate(_request(server), lambda _: None)
        await provider.aclose()
    assert caught.value.retry_after == 3.0


async def test_a_failure_after_streaming_carries_the_reported_usage() -> None:
    steps = [wire.chunk("partial text", usage=wire.usage_metadata(30, 2, cached=10)), CUT]
    with FakeHTTPServer(Script(_stream(*steps))) as server:
        provider = GoogleProvider()
        with pytest.raises(TransientProviderError) as caught:
            await provider.generate(_request(server), lambda _: None)
        await provider.aclose()
    usage = caught.value.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (30, 2, 10)


async def test_a_stream_without_usage_is_estimated_and_says_so() -> None:
    final = wire.chunk("a reply of some length", finish_reason="STOP")
    with FakeHTTPServer(Script(_stream(final))) as server:
        provider = GoogleProvider()
        generation = await provider.generate(_request(server), lambda _: None)
        await provider.aclose()
    assert generation.estimated
    assert generation.input_tokens > 0 and generation.output_tokens > 0


async def test_a_hung_server_times_out_within_the_idle_timeout_and_its_margin() -> None:
    with FakeHTTPServer(Script(_stream(HANG))) as server:
        provider = GoogleProvider()
        started = asyncio.get_running_loop().time()
        with pytest.raises(TransientProviderError, match="timed out"):
            await provider.generate(_request(server, idle_timeout_seconds=0.2), lambda _: None)
        elapsed = asyncio.get_running_loop().time() - started
        await provider.aclose()
    assert elapsed < 5


def test_the_standard_variables_are_the_key_for_the_gemini_api_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    official = GenerationRequest(model=MODEL, system_prompt="", prompt="")
    found = credential_for("google", official, OFFICIAL_HOST, "Gemini")
    assert found is not None and found.source == "environment variable GEMINI_API_KEY"
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("GOOGLE_API_KEY", CANARY)
    found = credential_for("google", official, OFFICIAL_HOST, "Gemini")
    assert found is not None and found.source == "environment variable GOOGLE_API_KEY"
    elsewhere = GenerationRequest(
        model=MODEL, system_prompt="", prompt="", base_url="http://127.0.0.1:9/gemini"
    )
    assert credential_for("google", elsewhere, OFFICIAL_HOST, "Gemini") is None
    monkeypatch.delenv("GOOGLE_API_KEY")
    with pytest.raises(AuthenticationError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        credential_for("google", official, OFFICIAL_HOST, "Gemini")


async def test_the_key_sent_is_the_profiles_variable_and_never_the_standard_one_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_GEMINI_KEY", CANARY + "-mine")
    with FakeHTTPServer(Script(_stream(*wire.reply_chunks(["hi"])))) as server:
        provider = GoogleProvider()
        await provider.generate(_request(server, api_key_env=None), lambda _: None)
        await provider.generate(_request(server, api_key_env="MY_GEMINI_KEY"), lambda _: None)
        monkeypatch.delenv("MY_GEMINI_KEY")
        with pytest.raises(AuthenticationError, match="MY_GEMINI_KEY"):
            await provider.generate(_request(server, api_key_env="MY_GEMINI_KEY"), lambda _: None)
        await provider.aclose()
    keys = [sent.headers["x-goog-api-key"] for sent in server.requests]
    assert keys == [NO_KEY, CANARY + "-mine"]


async def test_one_client_and_connection_for_requests_in_turn() -> None:
    with FakeHTTPServer(Script(_stream(*wire.reply_chunks(["hi"])))) as server:
        provider = GoogleProvider()
        for _ in range(3):
            await provider.generate(_request(server), lambda _: None)
        await provider.aclose()
    assert len(server.requests) == 3
    assert server.connections == 1


def _profiles(url: str) -> dict[str, ModelProfile]:
    return {
        "gem": ModelProfile(
            name="gem",
            provider="google-gemini",
            model=MODEL,
            base_url=url,
            api_key_env="GEMINI_API_KEY",
            price_per_million_input_tokens=0.3,
            price_per_million_output_tokens=2.5,
        )
    }


def _retries(count: int) -> dict[str, float]:
    return {"count": count, "initial_delay_seconds": 0, "max_delay_seconds": 30}


async def test_a_run_waits_the_retry_info_delay_on_429_then_succeeds() -> None:
    script = Script(
        _error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", [wire.retry_info(0.05)]),
        _stream(*wire.reply_chunks(["fine"], prompt_tokens=10, candidates_tokens=2)),
    )
    events: list[RunEvent] = []
    with FakeHTTPServer(script) as server:
        result = await run(
            ensemble(agent("a", profile="gem", retries=_retries(2))),
            "go",
            profiles=_profiles(server.url),
            on_event=events.append,
        )
    outcome = result.agent("a")
    assert outcome.status.value == "succeeded" and outcome.output == "fine"
    assert [e.delay_seconds for e in events if isinstance(e, AgentRetrying)] == [0.05]
    assert (outcome.usage.input_tokens, outcome.usage.output_tokens) == (10, 2)
    assert outcome.usage.cost == pytest.approx((10 * 0.3 + 2 * 2.5) / 1e6)


async def test_a_run_retries_a_500_and_a_cut_stream_then_succeeds() -> None:
    script = Script(
        _error(500, "INTERNAL", "An internal error has occurred."),
        _stream(wire.chunk("half", usage=wire.usage_metadata(10, 1)), CUT),
        _stream(*wire.reply_chunks(["whole"], prompt_tokens=10, candidates_tokens=3)),
    )
    with FakeHTTPServer(script) as server:
        result = await run(
            ensemble(agent("a", profile="gem", retries=_retries(3))),
            "go",
            profiles=_profiles(server.url),
        )
    outcome = result.agent("a")
    assert outcome.status.value == "succeeded" and outcome.output == "whole"
    assert outcome.attempts == 3 and len(server.requests) == 3
    assert (outcome.usage.input_tokens, outcome.usage.output_tokens) == (20, 4)
    assert CANARY not in json.dumps(result.to_document())


async def test_cancelling_a_run_mid_stream_ends_the_attempt_and_counts_what_streamed() -> None:
    steps = [wire.chunk("streaming...", usage=wire.usage_metadata(5, 1)), Pause(30)]
    with FakeHTTPServer(Script(_stream(*steps))) as server:
        holder: list[EnsembleRun] = []

        def on_event(event: RunEvent) -> None:
            if isinstance(event, AgentTextDelta):
                holder[0].cancel()

        execution = prepare_run(
            ensemble(agent("a", profile="gem")),
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


def test_the_aliases_and_the_name_are_registered() -> None:
    for name in ("google", "google-gemini", "gemini"):
        assert registry.provider_class(name) is GoogleProvider
        assert registry.provider_options_schema(name) == GoogleProvider.options_schema
    assert registry.provider_availability("gemini") is None


def test_two_event_loops_never_share_a_client() -> None:
    async def once(url: str) -> tuple[int, str]:
        provider = registry.get_provider("gemini")
        generation = await provider.generate(
            GenerationRequest(
                model=MODEL,
                system_prompt="",
                prompt="hi",
                base_url=url,
                api_key_env="GEMINI_API_KEY",
            ),
            lambda _: None,
        )
        return id(provider), generation.text

    with FakeHTTPServer(Script(_stream(*wire.reply_chunks(["hi"])))) as server:
        first = asyncio.run(once(server.url))
        second = asyncio.run(once(server.url))
    assert first[1] == second[1] == "hi"
    assert len(server.requests) == 2
    assert server.connections == 2  # each loop had (and closed) its own pool
