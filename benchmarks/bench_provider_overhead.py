"""The `openai-compatible` adapter over the bare `openai` SDK, on one loopback server that
speaks OpenAI's SSE wire protocol (`tests/support/fake_servers`).

Figures:
- adapter overhead per request: median(adapter request) - median(bare SDK request), the two
  interleaved so that both see the same server and machine load (target <= 1 ms);
- connections for N requests: TCP connections the server accepted while the adapter made N
  requests at most C at a time (target <= C: the pool is reused, never one per request).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time

from harness import BenchmarkResult, median
from llm_orc.providers.base import GenerationRequest
from llm_orc.providers.openai_compatible import OpenAICompatibleProvider
from support.fake_servers import openai_wire as wire
from support.fake_servers.http_fake import FakeHTTPServer, Script

NAME = "provider_overhead"
TITLE = "openai-compatible adapter overhead and connection reuse"

TARGET_OVERHEAD_MS = 1.0
CONCURRENCY = 8


def _has_aiohttp() -> bool:
    return importlib.util.find_spec("aiohttp") is not None


async def _measure(requests: int, result: BenchmarkResult) -> None:
    import openai

    with FakeHTTPServer(Script(wire.stream(["Hel", "lo"], usage=(12, 2)))) as server:
        base_url = server.url + "/v1"
        bare = openai.AsyncOpenAI(  # on the transport the adapter uses (aiohttp when installed)
            api_key="no-key",
            base_url=base_url,
            max_retries=0,
            http_client=openai.DefaultAioHttpClient() if _has_aiohttp() else None,
        )
        provider = OpenAICompatibleProvider()
        request = GenerationRequest(
            model=wire.MODEL, system_prompt="s", prompt="p", base_url=base_url
        )

        async def bare_call() -> None:
            stream = await bare.chat.completions.create(
                model=wire.MODEL,
                messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "p"}],
                stream=True,
                stream_options={"include_usage": True},
            )
            async with stream:
                async for _ in stream:
                    pass

        async def adapter_call() -> None:
            await provider.generate(request, lambda _: None)

        for call in (bare_call, adapter_call):  # warm both pools and code paths
            await call()
        bare_times: list[float] = []
        adapter_times: list[float] = []
        for _ in range(requests):
            for call, times in ((bare_call, bare_times), (adapter_call, adapter_times)):
                started = time.perf_counter()
                await call()
                times.append(time.perf_counter() - started)
        overhead_ms = (median(adapter_times) - median(bare_times)) * 1000
        result.add(
            "adapter overhead per request",
            overhead_ms,
            "ms",
            target=TARGET_OVERHEAD_MS,
            note=f"median of {requests} interleaved requests each",
        )
        result.details["median_bare_ms"] = median(bare_times) * 1000
        result.details["median_adapter_ms"] = median(adapter_times) * 1000
        await bare.close()
        await provider.aclose()

    with FakeHTTPServer(Script(wire.stream(["x"]))) as server:
        provider = OpenAICompatibleProvider()
        request = GenerationRequest(
            model=wire.MODEL, system_prompt="s", prompt="p", base_url=server.url + "/v1"
        )
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one() -> None:
            async with gate:
                await provider.generate(request, lambda _: None)

        await asyncio.gather(*(one() for _ in range(requests)))
        await provider.aclose()
        result.add(
            f"connections for {requests} requests, {CONCURRENCY} at a time",
            server.connections,
            "connections",
            target=CONCURRENCY,
        )


def run(quick: bool) -> BenchmarkResult:
    requests = 50 if quick else 200
    result = BenchmarkResult(
        NAME, TITLE, parameters={"requests": requests, "concurrency": CONCURRENCY}
    )
    asyncio.run(_measure(requests, result))
    return result
