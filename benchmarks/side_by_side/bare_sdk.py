"""The floor under any tool that drives the `openai` SDK from one Python process: N streaming
chat completions started at once with `asyncio.gather` on the bare SDK (the transport llm-orc
uses: aiohttp when installed), in a fresh interpreter, the SDK imported before the clock starts.

Run as a script: `python bare_sdk.py BASE_URL MODEL N`; prints one JSON line
`{"seconds": wall from the first request to the last answer read, "transport": ...}`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import time
from typing import Any


async def _many(base_url: str, model: str, count: int) -> dict[str, Any]:
    import openai

    aiohttp = importlib.util.find_spec("aiohttp") is not None
    client = openai.AsyncOpenAI(
        api_key="no-key",
        base_url=base_url,
        max_retries=0,
        http_client=openai.DefaultAioHttpClient() if aiohttp else None,
    )

    async def one() -> None:
        stream = await client.chat.completions.create(
            model=model,
            messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "Go."}],
            stream=True,
            stream_options={"include_usage": True},
        )
        async with stream:
            async for _ in stream:
                pass

    await one()  # the SDK's first-use work (lazy modules, TLS context) off the clock
    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    seconds = time.perf_counter() - started
    await client.close()
    return {"seconds": seconds, "transport": "aiohttp" if aiohttp else "httpx"}


def main() -> None:
    base_url, model, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(asyncio.run(_many(base_url, model, count))))


if __name__ == "__main__":
    main()
