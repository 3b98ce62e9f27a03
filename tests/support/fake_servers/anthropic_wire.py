"""Bodies of the Anthropic Messages API wire protocol (SSE `/v1/messages`), for fake servers.

Each event is `event: TYPE` and `data: JSON` lines and a blank line, as the API sends them;
`reply_events` is a whole successful stream in the API's order, one event per chunk.
"""

from __future__ import annotations

import json
from typing import Any


def sse(event: str, data: dict[str, Any] | str) -> bytes:
    """One server-sent event; DATA as given when it is already text (to send malformed data)."""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"event: {event}\ndata: {payload}\n\n".encode()


def message_start(
    model: str,
    *,
    input_tokens: int,
    cache_read: int = 0,
    cache_write: int = 0,
    message_id: str = "msg_fake_1",
) -> bytes:
    return sse(
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": input_tokens,
                    "cache_creation_input_tokens": cache_write,
                    "cache_read_input_tokens": cache_read,
                    "output_tokens": 1,
                },
            },
        },
    )


def block_start(index: int = 0) -> bytes:
    return sse(
        "content_block_start",
        {
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": "text", "text": ""},
        },
    )


def text_delta(text: str, index: int = 0) -> bytes:
    return sse(
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "text_delta", "text": text},
        },
    )


def block_stop(index: int = 0) -> bytes:
    return sse("content_block_stop", {"type": "content_block_stop", "index": index})


def ping() -> bytes:
    return sse("ping", {"type": "ping"})


def message_delta(
    stop_reason: str, *, output_tokens: int, thinking_tokens: int | None = None
) -> bytes:
    usage: dict[str, Any] = {"output_tokens": output_tokens}
    if thinking_tokens is not None:
        usage["output_tokens_details"] = {"thinking_tokens": thinking_tokens}
    return sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": usage,
        },
    )


def message_stop() -> bytes:
    return sse("message_stop", {"type": "message_stop"})


def error_event(kind: str, message: str) -> bytes:
    """An `error` event inside a 200 stream (as the API sends `overloaded_error` mid-way)."""
    return sse("error", {"type": "error", "error": {"type": kind, "message": message}})


def reply_events(
    pieces: list[str],
    *,
    model: str = "claude-fake-1",
    input_tokens: int = 12,
    output_tokens: int | None = None,
    cache_read: int = 0,
    cache_write: int = 0,
    stop_reason: str = "end_turn",
    thinking_tokens: int | None = None,
) -> list[bytes]:
    """A whole successful stream: start, a ping, one delta per piece, the stop reason, stop."""
    outputs = output_tokens if output_tokens is not None else len(pieces)
    return [
        message_start(
            model, input_tokens=input_tokens, cache_read=cache_read, cache_write=cache_write
        ),
        block_start(),
        ping(),
        *(text_delta(piece) for piece in pieces),
        block_stop(),
        message_delta(stop_reason, output_tokens=outputs, thinking_tokens=thinking_tokens),
        message_stop(),
    ]


def error_body(kind: str, message: str) -> bytes:
    """The JSON body of an HTTP error response."""
    return json.dumps(
        {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}
    ).encode()


SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
JSON_HEADERS = {"Content-Type": "application/json"}
