"""The Ollama wire format: NDJSON lines for `/api/chat`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from support.fake_servers.http_fake import Pause, Reply, Step, json_reply

MODEL = "fake-llama"


def line(content: str = "", *, done: bool = False, **extra: Any) -> bytes:
    document: dict[str, Any] = {
        "model": MODEL,
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": content},
        "done": done,
        **extra,
    }
    return json.dumps(document).encode() + b"\n"


def stream(
    pieces: Sequence[str],
    *,
    prompt_eval_count: int | None = 21,
    eval_count: int | None = 4,
    done_reason: str = "stop",
    pause: float = 0.0,
) -> Reply:
    """A whole streamed chat reply, its last line `done` with the counts."""
    body: list[Step] = []
    for piece in pieces:
        if pause:
            body.append(Pause(pause))
        body.append(line(piece))
    counts = {
        key: value
        for key, value in (("prompt_eval_count", prompt_eval_count), ("eval_count", eval_count))
        if value is not None
    }
    body.append(line(done=True, done_reason=done_reason, total_duration=1, **counts))
    return Reply(200, body, content_type="application/x-ndjson")


def error(status: int, message: str, **headers: str) -> Reply:
    named = {key.replace("_", "-"): value for key, value in headers.items()}
    return json_reply(status, {"error": message}, named)
