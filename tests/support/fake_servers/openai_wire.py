"""The OpenAI chat-completions wire format: SSE chunks for `/v1/chat/completions`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from support.fake_servers.http_fake import Pause, Reply, Step, json_reply

MODEL = "fake-gpt"


def chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> bytes:
    """One `data:` event of a chat.completion.chunk."""
    delta: dict[str, Any] = {} if content is None else {"content": content}
    document = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return b"data: " + json.dumps(document).encode() + b"\n\n"


def usage_chunk(prompt: int, completion: int, cached: int = 0, reasoning: int = 0) -> bytes:
    document = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        },
    }
    return b"data: " + json.dumps(document).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"


def stream(
    pieces: Sequence[str],
    *,
    usage: tuple[int, int] | None = (12, 3),
    finish: str = "stop",
    pause: float = 0.0,
) -> Reply:
    """A whole streamed reply: role chunk, one chunk per piece, the finish, usage, [DONE]."""
    body: list[Step] = [chunk("")]
    for piece in pieces:
        if pause:
            body.append(Pause(pause))
        body.append(chunk(piece))
    body.append(chunk(finish=finish))
    if usage is not None:
        body.append(usage_chunk(*usage))
    body.append(DONE)
    return Reply(200, body, content_type="text/event-stream")


def sse(body: Sequence[Step]) -> Reply:
    """A 200 event stream of BODY's steps as they are (for broken streams)."""
    return Reply(200, body, content_type="text/event-stream")


def error(status: int, message: str, code: str | None = None, **headers: str) -> Reply:
    document = {"error": {"message": message, "type": "error", "param": None, "code": code}}
    return json_reply(status, document, {k.replace("_", "-"): v for k, v in headers.items()})
