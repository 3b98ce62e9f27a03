"""A scripted HTTP/1.1 server on 127.0.0.1 in a thread (stdlib `http.server`): each request
gets the next `Reply` of a script; requests and TCP connections are recorded.

A reply's body is a list of steps: bytes are sent as one chunk of a chunked response (flushed
at once, so a client sees streaming), `Pause(s)` waits in the server thread (simulated
latency), `CUT` drops the connection mid-response, `HANG` waits until the server closes.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class _Cut:
    pass


@dataclass(frozen=True)
class _Hang:
    pass


CUT = _Cut()
HANG = _Hang()
Step = bytes | Pause | _Cut | _Hang


@dataclass
class Reply:
    status: int = 200
    body: Sequence[Step] = ()
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


Responder = Callable[[Recorded], Reply]


class Script:
    """Replies in order; the last one repeats."""

    def __init__(self, *replies: Reply) -> None:
        self._replies = list(replies)
        self._lock = threading.Lock()

    def __call__(self, request: Recorded) -> Reply:
        with self._lock:
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]


class FakeHTTPServer:
    """`with FakeHTTPServer(responder) as server:` — `server.url` is `http://127.0.0.1:PORT`."""

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.requests: list[Recorded] = []
        self.connections = 0
        self.closed = threading.Event()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def setup(self) -> None:
                with fake._lock:
                    fake.connections += 1
                super().setup()
                # Small chunks go out at once (no Nagle delay against the client's delayed ACK).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with fake._lock:
                    fake.requests.append(recorded)
                fake._send(self, fake.respond(recorded))

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.flush()
        for step in reply.body:
            if isinstance(step, Pause):
                if self.closed.wait(step.seconds):
                    return
            elif isinstance(step, _Hang):
                self.closed.wait()
                return
            elif isinstance(step, _Cut):
                handler.wfile.flush()
                handler.connection.shutdown(socket.SHUT_RDWR)
                handler.close_connection = True
                return
            else:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(step), step))
                handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    def __enter__(self) -> FakeHTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.closed.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def json_reply(status: int, document: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, [json.dumps(document).encode()], headers or {})
