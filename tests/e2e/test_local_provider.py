"""The local provider running the real embedded model (SmolLM2-135M through llama.cpp)."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from llm_orc.providers import local
from llm_orc.providers.base import (
    GenerationRequest,
    ProviderError,
    ProviderUnavailableError,
)
from llm_orc.providers.local import MODEL_PATH_ENV, LocalProvider
from support.local_model import requires_local_model

pytestmark = requires_local_model


@pytest.fixture(autouse=True)
def embedded_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MODEL_PATH_ENV, raising=False)


def request(prompt: str, **fields: object) -> GenerationRequest:
    base: dict[str, object] = {
        "model": "smollm2",
        "system_prompt": "You are a helpful assistant.",
        "prompt": prompt,
        "max_tokens": 24,
        "agent": "tester",
    }
    base.update(fields)
    return GenerationRequest(**base)  # type: ignore[arg-type]


async def test_streams_text_token_by_token_on_the_event_loop_thread() -> None:
    loop_thread = threading.get_ident()
    pieces: list[str] = []
    threads: set[int] = set()

    def sink(piece: str) -> None:
        pieces.append(piece)
        threads.add(threading.get_ident())

    generation = await LocalProvider().generate(
        request("Write a short poem about the sea.", max_tokens=32, temperature=0.0), sink
    )
    assert len(pieces) > 1
    assert "".join(pieces) == generation.text
    assert generation.text.strip()
    assert threads == {loop_thread}
    assert generation.model == "smollm2"
    assert generation.input_tokens > 0
    assert 0 < generation.output_tokens <= 32


async def test_input_tokens_grow_with_the_prompt() -> None:
    provider = LocalProvider()
    short = await provider.generate(request("Say hi.", max_tokens=4), lambda piece: None)
    longer = await provider.generate(
        request(
            "Say hi. " + "Then say hello to everyone in the room, one by one. " * 5, max_tokens=4
        ),
        lambda piece: None,
    )
    assert 0 < short.input_tokens < longer.input_tokens
    assert longer.input_tokens - short.input_tokens >= 5 * 10


async def test_json_output_is_parseable_json() -> None:
    generation = await LocalProvider().generate(
        request(
            'Give a JSON object with keys "name" and "age" for a person.',
            system_prompt="You reply with short JSON objects only.",
            json_output=True,
            temperature=0.0,
            max_tokens=48,
        ),
        lambda piece: None,
    )
    assert isinstance(json.loads(generation.text), dict)


async def test_same_seed_same_text() -> None:
    provider = LocalProvider()
    seeded = request("Tell me a fact about cats.", temperature=0.9, options={"seed": 1234})
    first = await provider.generate(seeded, lambda piece: None)
    second = await provider.generate(seeded, lambda piece: None)
    assert first.text == second.text


async def test_cancellation_stops_generation_and_the_next_one_works() -> None:
    provider = LocalProvider()
    pieces: list[str] = []
    started = asyncio.Event()

    def sink(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) >= 3:
            started.set()

    # Unpenalised counting at temperature 0 runs to max_tokens: about 15 s if not stopped.
    long = request(
        "Count from 1 to 1000, separated by commas.",
        system_prompt="",
        max_tokens=1500,
        temperature=0.0,
        options={"repeat_penalty": 1.0},
    )
    task = asyncio.create_task(provider.generate(long, sink))
    await asyncio.wait_for(started.wait(), timeout=60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    seen = len(pieces)

    # The model's single worker thread runs jobs in order: once this no-op has run, the
    # cancelled generation has returned, and its stats say where it stopped.
    await asyncio.get_running_loop().run_in_executor(local._worker(), lambda: None)
    stats = provider.last_stats
    assert stats is not None
    assert 3 <= stats.output_tokens < 1500  # stopped early, not at max_tokens

    generation = await provider.generate(request("Say hi.", max_tokens=8), lambda piece: None)
    assert generation.output_tokens > 0
    assert len(pieces) == seen  # nothing delivered after the cancellation


async def test_long_prompt_is_cut_in_the_middle_to_fit_the_context() -> None:
    provider = LocalProvider()
    prompt = "START " + "filler words here. " * 400 + " END"
    generation = await provider.generate(
        request(prompt, max_tokens=8, options={"n_ctx": 256}), lambda piece: None
    )
    assert generation.input_tokens <= 256 - 8
    assert provider.last_stats is not None and provider.last_stats.truncated


async def test_system_prompt_too_long_for_the_context_is_a_clear_error() -> None:
    with pytest.raises(ProviderError, match="n_ctx") as raised:
        await LocalProvider().generate(
            request("hi", system_prompt="rule " * 400, max_tokens=8, options={"n_ctx": 256}),
            lambda piece: None,
        )
    assert not raised.value.transient


async def test_missing_model_path_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_PATH_ENV, str(tmp_path / "missing.gguf"))
    with pytest.raises(ProviderUnavailableError, match=MODEL_PATH_ENV):
        await LocalProvider().generate(request("hi"), lambda piece: None)


async def test_a_file_that_is_not_a_model_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"this is not a GGUF file" * 10)
    monkeypatch.setenv(MODEL_PATH_ENV, str(bogus))
    with pytest.raises(ProviderUnavailableError, match="cannot load"):
        await LocalProvider().generate(request("hi"), lambda piece: None)


async def test_a_profile_can_name_a_gguf_file_as_its_model() -> None:
    path = str(local.locate_model_file())
    generation = await LocalProvider().generate(
        request("Say hello.", model=path, max_tokens=8), lambda piece: None
    )
    assert generation.output_tokens > 0
    assert generation.model == path


def test_closing_the_models_frees_them_and_the_next_request_loads_again() -> None:
    async def once() -> int:
        generation = await LocalProvider().generate(request("Hi", max_tokens=4), lambda _: None)
        return generation.output_tokens

    assert asyncio.run(once()) > 0
    assert local.close_models()
    assert local._models == {}
    assert asyncio.run(once()) > 0
