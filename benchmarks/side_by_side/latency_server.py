"""A loopback server speaking OpenAI's chat-completions API whose every answer takes the time
its model name says: `lat-0.4` answers after 0.4 s. Both tools name the model in their
`openai-compatible` profiles, so one profile per latency fixes each agent's latency in either.

Streaming (`"stream": true`: SSE chunks, a usage chunk when `stream_options.include_usage`, then
`[DONE]`) and non-streaming (one `chat.completion` document) alike carry usage. The wait starts
when the request has been read and ends when the answer starts going out; every request is recorded
(model, streamed or not, when it arrived and when it was answered) so the benchmark can tell
how many were in flight at once.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.fake_servers import openai_wire as wire

MODEL_PATTERN = re.compile(r"^lat-(\d+(?:\.\d+)?)$")
COMPLETION_TOKENS = 3


def model_for(latency: float) -> str:
    """The model name that makes the server answer after LATENCY seconds."""
    return f"lat-{latency:g}"


def latency_of(model: str) -> float | None:
    match = MODEL_PATTERN.match(model)
    return float(match.group(1)) if match else None


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """A deterministic token count for the prompt: about four characters a token."""
    chars = sum(len(str(m.get("content", ""))) for m in messages)
    return max(1, chars // 4)


@dataclass(frozen=True, slots=True)
class Served:
    """One answered request, on the server's monotonic clock."""

    model: str
    stream: bool
    received: float
    answered: float


def _completion(model: str, text: str, usage: dict[str, int]) -> bytes:
    document = {
        "id": "chatcmpl-lat",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }
    return json.dumps(document).encode()


def _stream(text: str, usage: dict[str, int] | None) -> bytes:
    body = [wire.chunk(""), wire.chunk(text), wire.chunk(finish="stop")]
    if usage is not None:
        body.append(wire.usage_chunk(usage["prompt_tokens"], usage["completion_tokens"]))
    body.append(wire.DONE)
    return b"".join(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # hundreds of agents connect at once: no SYN retries at 1 s


class LatencyServer:
    """`with LatencyServer() as server:` — `server.base_url` is `http://127.0.0.1:PORT/v1`."""

    def __init__(self, models: Iterable[str] = ()) -> None:
        self.models = sorted(models)
        """What `GET /v1/models` lists (the public llm-orc checks its profiles' models there
        before it runs anything); every `lat-SECONDS` model is served whether listed or not."""
        self.served: list[Served] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._epoch_offset = time.time() - time.monotonic()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def setup(self) -> None:
                with owner._lock:
                    owner.connections += 1
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                owner._answer(self)

            def do_GET(self) -> None:
                owner._list_models(self)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.base_url = self.url + "/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        received = time.monotonic()
        length = int(handler.headers.get("Content-Length") or 0)
        try:
            request = json.loads(handler.rfile.read(length) or b"null")
            model = str(request["model"])
            messages = list(request["messages"])
        except (ValueError, KeyError, TypeError):
            self._send(handler, 400, "application/json", b'{"error": {"message": "bad request"}}')
            return
        latency = latency_of(model)
        if not handler.path.endswith("/chat/completions") or latency is None:
            message = f"unknown model {model!r} (want lat-SECONDS) or path {handler.path}"
            refusal = {"error": {"message": message, "type": "invalid_request"}}
            self._send(handler, 404, "application/json", json.dumps(refusal).encode())
            return
        prompt = prompt_tokens(messages)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": prompt + COMPLETION_TOKENS,
        }
        text = f"done after {latency:g} s"
        stream = bool(request.get("stream"))
        if self._closed.wait(max(0.0, received + latency - time.monotonic())):
            return
        # Recorded before the answer goes out, so a client that has its answer finds it here.
        with self._lock:
            self.served.append(Served(model, stream, received, time.monotonic()))
        if stream:
            options = request.get("stream_options") or {}
            wants_usage = bool(options.get("include_usage"))
            events = _stream(text, usage if wants_usage else None)
            self._send(handler, 200, "text/event-stream", events)
        else:
            self._send(handler, 200, "application/json", _completion(model, text, usage))

    def _list_models(self, handler: BaseHTTPRequestHandler) -> None:
        if not handler.path.endswith("/models"):
            self._send(handler, 404, "application/json", b'{"error": {"message": "not found"}}')
            return
        data = [{"id": m, "object": "model", "owned_by": "bench"} for m in self.models]
        body = json.dumps({"object": "list", "data": data}).encode()
        self._send(handler, 200, "application/json", body)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, content_type: str, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()

    def reset(self) -> None:
        """Forget the requests and connections so far (between two runs)."""
        with self._lock:
            self.served.clear()
            self.connections = 0

    def snapshot(self) -> list[Served]:
        with self._lock:
            return list(self.served)

    def epoch(self, monotonic: float) -> float:
        """A time on the server's monotonic clock as seconds since the epoch (to line it up
        with the times a tool reports)."""
        return monotonic + self._epoch_offset

    def __enter__(self) -> LatencyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def peak_in_flight(served: Iterable[Served]) -> int:
    """The most requests held by the server at one moment (an answer at the very moment another
    request arrives counts as gone first)."""
    records = list(served)
    edges = sorted(
        [(s.received, 1) for s in records] + [(s.answered, -1) for s in records],
        key=lambda edge: (edge[0], edge[1]),
    )
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak
