"""`openai-compatible` against a server nobody here wrote: llama-cpp-python's OpenAI-compatible
server (`python -m llama_cpp.server`) serving the embedded GGUF on a free loopback port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.events import AgentTextDelta, RunEvent
from llm_orc.execution.runner import run
from llm_orc.providers.local import locate_model_file
from support.ensembles import agent, ensemble, scripted_profiles
from support.local_model import requires_local_model

pytestmark = requires_local_model

STARTUP_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """The server's base URL, once it answers `/v1/models`."""
    pytest.importorskip("llama_cpp.server.app", reason="pip install 'llama-cpp-python[server]'")
    model = locate_model_file()
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(process)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen[bytes]) -> None:
    """Wait until the server's log says it listens (read on a thread, so it never blocks the
    wait), or fail with the log's tail."""
    assert process.stdout is not None
    stdout = process.stdout
    up = threading.Event()
    lines: list[str] = []

    def read() -> None:
        for raw in stdout:
            lines.append(raw.decode(errors="replace"))
            if "Uvicorn running on" in lines[-1]:
                up.set()
        up.set()  # the server exited: stop waiting

    threading.Thread(target=read, daemon=True).start()
    if not up.wait(STARTUP_SECONDS) or process.poll() is not None:
        pytest.fail(f"llama_cpp.server did not start: {''.join(lines)[-2000:]}")


async def test_an_ensemble_runs_on_llama_cpp_pythons_server(llama_server: str) -> None:
    profiles = scripted_profiles()
    profiles["served"] = ModelProfile(
        name="served",
        model="smollm2",
        provider="openai-compatible",
        base_url=llama_server,
        max_tokens=24,
        temperature=0,
        timeout_seconds=120,
    )
    events: list[RunEvent] = []
    result = await run(
        ensemble(agent("a", profile="served")),
        "Name one colour.",
        profiles=profiles,
        on_event=events.append,
    )
    answer = result.agent("a")
    assert answer.status.value == "succeeded", answer.error
    deltas = [e.text for e in events if isinstance(e, AgentTextDelta)]
    assert deltas and "".join(deltas) == answer.output
    assert answer.usage.output_tokens > 0 and answer.usage.input_tokens > 0
    assert answer.finish_reason in ("stop", "length")
    document = result.to_document()
    json.dumps(document)
    # llama-cpp-python's stream sends no usage: the count is there, and says it is estimated.
    assert document["agents"][0]["usage"]["estimated"] is True
