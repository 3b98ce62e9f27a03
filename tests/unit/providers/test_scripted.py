"""The scripted provider: deterministic replies, streaming, latency, failures, hanging."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from llm_orc.providers.base import (
    Generation,
    GenerationRequest,
    ProviderError,
    TransientProviderError,
)
from llm_orc.providers.registry import get_provider
from llm_orc_scripted import provider as scripted
from llm_orc_scripted.provider import ScriptedProvider


def request(
    options: dict[str, Any] | None = None,
    *,
    agent: str = "analyst",
    prompt: str = "the input text",
    system_prompt: str = "be brief",
    attempt: int = 1,
    model: str = "script-1",
) -> GenerationRequest:
    return GenerationRequest(
        model=model,
        system_prompt=system_prompt,
        prompt=prompt,
        options=options or {},
        agent=agent,
        attempt=attempt,
    )


async def run(req: GenerationRequest) -> tuple[Generation, list[str]]:
    pieces: list[str] = []
    generation = await ScriptedProvider().generate(req, pieces.append)
    return generation, pieces


def test_registered_as_scripted_without_a_concurrency_cap() -> None:
    provider = get_provider("scripted")
    assert isinstance(provider, ScriptedProvider)
    assert provider.name == "scripted"
    assert provider.default_max_concurrency is None


async def test_default_reply_names_the_agent() -> None:
    generation, pieces = await run(request())
    assert generation.text == "analyst: ok"
    assert generation.model == "script-1"
    assert "".join(pieces) == generation.text


async def test_reply_template_substitutes_placeholders() -> None:
    template = "{agent}|{input}|{attempt}|{model}"
    generation, _ = await run(request({"reply": template}, attempt=3))
    assert generation.text == "analyst|the input text|3|script-1"


async def test_substitution_is_plain_and_single_pass() -> None:
    # Other braces survive (no str.format), and substituted text is never substituted again.
    template = '{"who": "{agent}", "n": {attempt}, "x": {unknown}} {input}'
    generation, _ = await run(request({"reply": template}, prompt="{agent} {0}"))
    assert generation.text == '{"who": "analyst", "n": 1, "x": {unknown}} {agent} {0}'


async def test_replies_override_reply_for_their_agent() -> None:
    options = {"reply": "generic", "replies": {"critic": "critic says {input}"}}
    critic, _ = await run(request(options, agent="critic", prompt="hi"))
    other, _ = await run(request(options, agent="writer"))
    assert critic.text == "critic says hi"
    assert other.text == "generic"


async def test_echo_prompt_and_echo_system() -> None:
    prompt = "line one\n\n  line two"
    echoed, _ = await run(request({"echo_prompt": True, "reply": "ignored"}, prompt=prompt))
    system, _ = await run(request({"echo_system": True}, system_prompt="the system"))
    assert echoed.text == prompt
    assert system.text == "the system"


async def test_streams_one_piece_per_word_keeping_spaces() -> None:
    generation, pieces = await run(request({"reply": "alpha beta  gamma\ndelta "}))
    assert pieces == ["alpha ", "beta  ", "gamma\n", "delta "]
    assert "".join(pieces) == generation.text


async def test_streams_in_the_requested_number_of_chunks() -> None:
    text = "abcdefghij" * 3
    generation, pieces = await run(request({"reply": text, "chunks": 4}))
    assert len(pieces) == 4
    assert "".join(pieces) == generation.text == text
    _, tiny_pieces = await run(request({"reply": "ab", "chunks": 10}))
    assert tiny_pieces == ["a", "b"]


async def test_empty_reply_streams_nothing() -> None:
    generation, pieces = await run(request({"reply": ""}))
    assert generation.text == ""
    assert pieces == []
    assert generation.output_tokens == 0


async def test_words_count_as_tokens() -> None:
    req = request({"reply": "one two three"}, system_prompt="a b", prompt="c d e")
    generation, _ = await run(req)
    assert generation.input_tokens == 5
    assert generation.output_tokens == 3


async def test_latency_is_spread_over_the_pieces() -> None:
    seen: list[float] = []
    started = time.perf_counter()

    def sink(piece: str) -> None:
        seen.append(time.perf_counter() - started)

    await ScriptedProvider().generate(request({"reply": "a b c d", "latency_seconds": 0.2}), sink)
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.2
    assert len(seen) == 4
    assert seen[0] >= 0.05  # the first piece waits for its share, not the whole latency
    assert seen[0] < seen[-1]


async def test_latency_by_agent_overrides_latency_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def recording_sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr(scripted.asyncio, "sleep", recording_sleep)
    options = {"latency_seconds": 5, "latency_by_agent": {"fast": 0}, "chunks": 1}
    await run(request(options, agent="fast"))
    assert slept == []
    await run(request(options, agent="slow"))
    assert slept == [5]


async def test_no_latency_means_no_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def recording_sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr(scripted.asyncio, "sleep", recording_sleep)
    results = await asyncio.gather(*(run(request({"reply": "x y z"})) for _ in range(2000)))
    assert len(results) == 2000
    assert slept == []


async def test_fail_attempts_are_transient_then_succeed() -> None:
    options = {"fail_attempts": 2}
    for attempt in (1, 2):
        with pytest.raises(TransientProviderError) as raised:
            await run(request(options, attempt=attempt))
        assert str(raised.value) == f"scripted transient failure (attempt {attempt})"
        assert raised.value.transient
    generation, _ = await run(request(options, attempt=3))
    assert generation.text == "analyst: ok"


async def test_fail_agents_fail_permanently() -> None:
    options = {"fail_agents": ["critic"]}
    for attempt in (1, 5):
        with pytest.raises(ProviderError) as raised:
            await run(request(options, agent="critic", attempt=attempt))
        assert str(raised.value) == "scripted failure"
        assert not raised.value.transient
        assert not isinstance(raised.value, TransientProviderError)
    generation, _ = await run(request(options, agent="writer"))
    assert generation.text == "writer: ok"


async def test_error_always_raises_its_message() -> None:
    with pytest.raises(ProviderError, match=r"^model exploded$") as raised:
        await run(request({"error": "model exploded"}, attempt=4))
    assert not raised.value.transient


async def test_failures_stream_nothing() -> None:
    pieces: list[str] = []
    with pytest.raises(ProviderError):
        await ScriptedProvider().generate(request({"error": "no"}), pieces.append)
    assert pieces == []


async def test_hang_waits_until_cancelled() -> None:
    pieces: list[str] = []
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(
            ScriptedProvider().generate(request({"hang": True}), pieces.append), timeout=0.05
        )
    assert pieces == []


async def test_hang_task_can_be_cancelled() -> None:
    task = asyncio.create_task(ScriptedProvider().generate(request({"hang": True}), print))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_deterministic() -> None:
    options = {"reply": "{agent} {attempt} {input}", "chunks": 3}
    first = await run(request(options))
    second = await run(request(options))
    assert first == second


@pytest.mark.parametrize(
    "options",
    [{"latency_seconds": "slow"}, {"latency_seconds": -1}, {"chunks": 0}, {"reply": 42}],
)
async def test_bad_options_are_permanent_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ProviderError) as raised:
        await run(request(options))
    assert not raised.value.transient
