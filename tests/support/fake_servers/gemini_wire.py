"""Bodies of the Gemini API wire protocol (`:streamGenerateContent?alt=sse`), for fake servers.

Each chunk is one `data: JSON` event of a `GenerateContentResponse` (camelCase, as the REST
API sends it); the last one carries the finish reason and the final `usageMetadata`.
"""

from __future__ import annotations

import json
from typing import Any


def sse(data: dict[str, Any] | str) -> bytes:
    """One server-sent event; DATA as given when it is already text (to send malformed data)."""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"data: {payload}\r\n\r\n".encode()


def usage_metadata(
    prompt: int, candidates: int, *, cached: int = 0, thoughts: int = 0
) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
    }
    if cached:
        usage["cachedContentTokenCount"] = cached
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def chunk(
    text: str | None = None,
    *,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
    model: str = "gemini-fake-1",
    thought: str | None = None,
) -> bytes:
    parts: list[dict[str, Any]] = []
    if thought is not None:
        parts.append({"text": thought, "thought": True})
    if text is not None:
        parts.append({"text": text})
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish_reason is not None:
        candidate["finishReason"] = finish_reason
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
    if usage is not None:
        body["usageMetadata"] = usage
    return sse(body)


def reply_chunks(
    pieces: list[str],
    *,
    prompt_tokens: int = 12,
    candidates_tokens: int | None = None,
    cached: int = 0,
    thoughts: int = 0,
    finish_reason: str = "STOP",
    model: str = "gemini-fake-1",
) -> list[bytes]:
    """A whole successful stream: one chunk per piece, the last with finish reason and usage."""
    outputs = candidates_tokens if candidates_tokens is not None else len(pieces)
    chunks = [
        chunk(piece, usage=usage_metadata(prompt_tokens, index + 1), model=model)
        for index, piece in enumerate(pieces[:-1])
    ]
    last = pieces[-1] if pieces else ""
    final = usage_metadata(prompt_tokens, outputs, cached=cached, thoughts=thoughts)
    chunks.append(chunk(last, finish_reason=finish_reason, usage=final, model=model))
    return chunks


def error_body(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> bytes:
    """The JSON body of an HTTP error response (google.rpc.Status)."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return json.dumps({"error": error}).encode()


def retry_info(seconds: float) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{seconds:g}s"}


def error_info(reason: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
    }


SSE_HEADERS = {"Content-Type": "text/event-stream"}
JSON_HEADERS = {"Content-Type": "application/json; charset=UTF-8"}
