"""`preload()` leaves nothing for a provider's first request to import or build on the event
loop: checked in a fresh interpreter, where nothing else has imported the SDK yet."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = """
import asyncio, json, sys
from llm_orc.providers.base import GenerationRequest
from llm_orc.providers.openai_compatible import OpenAICompatibleProvider, _tls_context

provider = OpenAICompatibleProvider()
provider.preload()
context = _tls_context()
before = set(sys.modules)

async def first_client():
    request = GenerationRequest(model="m", system_prompt="s", prompt="p",
                                base_url="http://127.0.0.1:9/v1")
    client = provider.make_client(provider.endpoint(request), request)
    client.chat.completions  # what the first request touches
    same = client._client._transport.ssl_context is context
    await client.close()
    return same

shared = asyncio.run(first_client())
sdk = ("openai", "httpx2", "aiohttp")
new = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in sdk)
print(json.dumps({"new": new, "shared": shared}))
"""


def test_after_preload_the_first_openai_client_imports_nothing_and_shares_tls() -> None:
    pytest.importorskip("aiohttp")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["new"] == []
    assert found["shared"] is True  # the CA bundle is loaded once per process, in preload
