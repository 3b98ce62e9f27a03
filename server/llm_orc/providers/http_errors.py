"""Turning an HTTP provider's failure into one typed, one-line, secret-free `ProviderError`."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from llm_orc.providers.base import (
    AuthenticationError,
    ContextTooLongError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderError,
    RateLimitedError,
    TokenUsage,
    TransientProviderError,
)
from llm_orc.providers.error_table import Refusal, Row, always, server_error, typed_error

MAX_DETAIL = 200
_CONTEXT = re.compile(r"context[_ ](length|window)|too many tokens|maximum context|too long", re.I)
_SECRETISH = re.compile(r"(sk|key|token|bearer)[-_ ]?[A-Za-z0-9_\-]{12,}", re.I)


def one_line(text: str, secrets: Iterable[str] = (), limit: int = MAX_DETAIL) -> str:
    """TEXT on one line, at most LIMIT characters, with SECRETS and key-like words masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _SECRETISH.sub("***", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_url(url: str) -> str:
    """URL without credentials, query or fragment (a key can hide in any of them)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<the configured URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date); None if absent."""
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _context_too_long(refusal: Refusal) -> bool:
    return refusal.status in (400, 413, 422) and (
        refusal.code == "context_length_exceeded" or bool(_CONTEXT.search(refusal.detail))
    )


_ROWS = (
    Row(
        AuthenticationError,
        "the server refused the credentials ({status}){said}; {key_hint}",
        (401, 403),
    ),
    Row(
        ProviderError,
        "the account has no quota left (429){said}; check its plan and billing",
        when=lambda refusal: refusal.status == 429 and refusal.code == "insufficient_quota",
    ),
    Row(RateLimitedError, "rate limited (429){said}{wait}", (429,)),
    Row(
        ModelNotFoundError,
        "model '{model}' was not found (404){said}; check the profile's model and base_url",
        (404,),
    ),
    Row(
        ContextTooLongError,
        "the prompt is too long for model '{model}' ({status}){said}; shorten the input "
        "or lower max_tokens",
        when=_context_too_long,
    ),
    Row(
        TransientProviderError, "the server failed ({status}){said}", (408, 409), when=server_error
    ),
    Row(
        InvalidRequestError,
        "the server refused the request ({status}){said}; check the profile's options",
        when=always,
    ),
)


def error_for_status(
    status: int,
    detail: str,
    *,
    model: str,
    key_hint: str,
    retry_after: float | None = None,
    code: str | None = None,
    usage: TokenUsage | None = None,
) -> ProviderError:
    """The typed error for an HTTP STATUS (DETAIL is the server's own words, already one line).

    KEY_HINT says where the key comes from ("set OPENAI_API_KEY or the profile's api_key_env").
    """
    refusal = Refusal(status, detail=detail, code=code, retry_after=retry_after)
    said = f": {detail}" if detail else ""
    return typed_error(_ROWS, refusal, model=model, usage=usage, said=said, key_hint=key_hint)
