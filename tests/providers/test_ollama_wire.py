"""`ollama` on the real `ollama` client against a loopback server speaking Ollama's NDJSON wire
protocol (`/api/chat`)."""

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
    FinishReason,
    GenerationRequest,
    ModelNotFoundError,
    ProviderError,
    TransientProviderError,
)
from llm_orc.providers.ollama import OllamaProvider
from support.ensembles import agent, ensemble, scripted_profiles
from support.fake_servers import ollama_wire as wire
from support.fake_servers.canary import CANARY, CANARY_ENV
from support.fake_servers.http_fake import CUT, HANG, FakeHTTPServer, Reply, Script


def _request(server: FakeHTTPServer | None, **fields: Any) -> GenerationRequest:
    values: dict[str, Any] = {
        "model": wire.MODEL,
        "system_prompt": "Be brief.",
        "prompt": "Say hello.",
        "base_url": server.url if server else None,
        "provider": "ollama",
        **fields,
    }
    return GenerationRequest(**values)


async def _generate(server: FakeHTTPServer | None, **fields: Any) -> tuple[Any, list[str]]:
    provider = OllamaProvider()
    pieces: list[str] = []
    try:
        return await provider.generate(_request(server, **fields), pieces.append), pieces
    finally:
        await provider.aclose()


def _ndjson(*body: Any) -> Reply:
    return Reply(200, list(body), content_type="application/x-ndjson")


async def test_text_streams_in_order_with_ollamas_counts_and_options_pass_through() -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    reply = wire.stream(['{"ok"', ": true}"], prompt_eval_count=21, eval_count=4)
    with FakeHTTPServer(Script(reply)) as server:
        generation, pieces = await _generate(
            server,
            temperature=0.3,
            max_tokens=50,
            json_output=True,
            json_schema=schema,
            options={"num_ctx": 4096, "keep_alive": "5m"},
        )
    assert pieces == ['{"ok"', ": true}"] and generation.text == '{"ok": true}'
    assert (generation.input_tokens, generation.output_tokens) == (21, 4)
    assert not generation.estimated and generation.finish_reason is FinishReason.STOP
    [sent] = server.requests
    body = sent.json()
    assert sent.path == "/api/chat" and body["stream"] is True
    assert body["options"] == {"num_ctx": 4096, "temperature": 0.3, "num_predict": 50}
    assert body["format"] == schema and body["keep_alive"] == "5m"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


async def test_a_missing_count_is_estimated_and_marked() -> None:
    reply = wire.stream(["cached prompt"], prompt_eval_count=None, eval_count=3)
    with FakeHTTPServer(Script(reply)) as server:
        generation, _ = await _generate(server)
    assert generation.estimated and generation.output_tokens == 3 and generation.input_tokens > 0


async def test_length_is_reported() -> None:
    with FakeHTTPServer(Script(wire.stream(["cut"], done_reason="length"))) as server:
        generation, _ = await _generate(server)
    assert generation.finish_reason is FinishReason.LENGTH


async def test_the_host_comes_from_ollama_host_when_the_profile_has_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeHTTPServer(Script(wire.stream(["hi"]))) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        generation, _ = await _generate(None)
    assert generation.text == "hi" and len(server.requests) == 1


async def test_a_named_key_is_sent_and_shown_nowhere() -> None:
    refused = Script(wire.error(401, f"unauthorized {CANARY}"))
    with FakeHTTPServer(refused) as server, pytest.raises(AuthenticationError) as raised:
        await _generate(server, api_key_env=CANARY_ENV)
    assert server.requests[0].headers["authorization"] == f"Bearer {CANARY}"
    assert CANARY not in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("reply", "kind", "words"),
    [
        (wire.error(404, f"model '{wire.MODEL}' not found"), ModelNotFoundError, "ollama pull"),
        (wire.error(500, "out of memory"), TransientProviderError, "500"),
        (_ndjson(wire.line("par"), b"{not json\n"), TransientProviderError, "malformed"),
        (_ndjson(wire.line("par"), CUT), TransientProviderError, "mid-reply"),
        (_ndjson(wire.line("par")), TransientProviderError, "before the reply was complete"),
        (
            _ndjson(wire.line("par"), json.dumps({"error": "model crashed"}).encode() + b"\n"),
            TransientProviderError,
            "model crashed",
        ),
    ],
    ids=["404", "500", "malformed", "cut", "no-done", "error-line"],
)
async def test_failures_are_typed_and_one_line(
    reply: Reply, kind: type[ProviderError], words: str
) -> None:
    with FakeHTTPServer(Script(reply)) as server, pytest.raises(kind) as raised:
        await _generate(server)
    message = str(raised.value)
    assert words in message and "\n" not in message
    if words not in ("ollama pull", "500"):  # it streamed "par" first
        assert raised.value.usage is not None and raised.value.usage.output_tokens > 0


async def test_an_unreachable_server_says_what_to_do() -> None:
    with FakeHTTPServer(Script(wire.stream(["x"]))) as server:
        url = server.url
    with pytest.raises(TransientProviderError) as raised:
        await _generate(None, base_url=url)
    assert "ollama serve" in str(raised.value)


# --- through the engine ------------------------------------------------------------------


async def _run(
    server: FakeHTTPServer, retries: int = 0, **fields: Any
) -> tuple[RunResult, list[RunEvent]]:
    profiles = scripted_profiles()
    profiles["ol"] = ModelProfile(
        name="ol", model=wire.MODEL, provider="ollama", base_url=server.url, **fields
    )
    events: list[RunEvent] = []
    retry = {"count": retries, "initial_delay_seconds": 0, "max_delay_seconds": 5}
    result = await run(
        ensemble(agent("a", profile="ol", retries=retry)),
        "x",
        profiles=profiles,
        on_event=events.append,
    )
    everything = json.dumps([event_to_dict(e) for e in events]) + json.dumps(result.to_document())
    assert CANARY not in everything
    return result, events


async def test_429_with_retry_after_then_success() -> None:
    script = Script(wire.error(429, "busy", retry_after="0.05"), wire.stream(["ok"]))
    with FakeHTTPServer(script) as server:
        result, events = await _run(server, retries=1)
    assert result.agent("a").output == "ok"
    assert [e.delay_seconds for e in events if isinstance(e, AgentRetrying)] == [0.05]


async def test_500_then_success_counts_both_attempts() -> None:
    script = Script(wire.error(500, "boom"), wire.stream(["fine"], eval_count=2))
    with FakeHTTPServer(script) as server:
        result, _ = await _run(server, retries=1)
    assert result.agent("a").attempts == 2 and result.agent("a").usage.output_tokens == 2


async def test_a_hung_server_fails_on_the_idle_timeout() -> None:
    with FakeHTTPServer(Script(_ndjson(wire.line("start"), HANG))) as server:
        result, _ = await _run(server, idle_timeout_seconds=0.2)
    failed = result.agent("a")
    assert failed.error_type == "timeout" and "idle_timeout_seconds" in (failed.error or "")


async def test_a_steady_stream_fails_on_the_whole_attempt_timeout() -> None:
    with FakeHTTPServer(Script(wire.stream(["a"] * 50, pause=0.05))) as server:
        result, _ = await _run(server, timeout_seconds=0.4, idle_timeout_seconds=1.0)
    assert result.agent("a").error == "timed out after 0.4s"


async def test_cancelling_mid_stream_stops_the_text_at_once() -> None:
    with FakeHTTPServer(Script(wire.stream(["a", "b", "c"], pause=0.2))) as server:
        provider = OllamaProvider()
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


async def test_200_requests_reuse_the_pool() -> None:
    with FakeHTTPServer(Script(wire.stream(["x"]))) as server:
        provider = OllamaProvider()
        gate = asyncio.Semaphore(8)

        async def one() -> None:
            async with gate:
                await provider.generate(_request(server), lambda _: None)

        await asyncio.gather(*(one() for _ in range(200)))
        await provider.aclose()
    assert len(server.requests) == 200 and server.connections <= 8
