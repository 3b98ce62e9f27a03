"""The local provider's worker after a cancel: what a process about to exit can ask of it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path

import pytest

from llm_orc.providers import local
from llm_orc.providers.base import GenerationRequest, ProviderUnavailableError
from llm_orc.providers.local import LocalProvider


async def test_a_generation_cancelled_while_its_model_loads_keeps_the_worker_busy_until_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, loading = threading.Event(), threading.Event()

    def slow_load(key: object) -> object:  # loading a model cannot be interrupted
        loading.set()
        gate.wait(10)
        raise ProviderUnavailableError("not a model")

    monkeypatch.setattr(local, "_load", slow_load)
    model = tmp_path / "m.gguf"
    model.write_bytes(b"")
    request = GenerationRequest(model=str(model), system_prompt="", prompt="hi")
    task = asyncio.create_task(LocalProvider(threads=1).generate(request, lambda _: None))
    assert await asyncio.to_thread(loading.wait, 10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert not local.wait_idle(0.01)  # cancelled, yet the worker is still loading
    gate.set()
    assert await asyncio.to_thread(local.wait_idle, 10)


def test_an_unused_worker_is_idle() -> None:
    assert local.wait_idle(0)
