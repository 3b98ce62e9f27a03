"""google-genai failures as the engine's typed provider errors, in one line without the key.

Gemini reports an invalid key as 400 `INVALID_ARGUMENT` with an `ErrorInfo` reason
`API_KEY_INVALID`, so the status alone does not tell; a rate limit (429 `RESOURCE_EXHAUSTED`)
says how long to wait in a `RetryInfo` detail (`retryDelay`). Messages quote only the API's
own `error.message`, masked.
"""

from __future__ import annotations

from typing import Any

from llm_orc.credentials.lookup import Credential
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
from llm_orc.providers.error_table import Refusal, Row, always, mentions, server_error, typed_error
from llm_orc.providers.error_text import (
    endpoint,
    one_line,
    parse_duration,
    parse_retry_after,
    refused,
    secret_of,
    whose_key,
)

DEFAULT_ENDPOINT = "https://generativelanguage.googleapis.com"

_KEY_REASONS = {"API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED"}
_CONTEXT_HINTS = ("exceeds the maximum number of tokens", "input token count", "context window")
_TRANSIENT_STATUSES = {"UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED", "CANCELLED"}


def map_error(
    exc: BaseException,
    *,
    model: str,
    credential: Credential | None,
    base_url: str | None,
    usage: TokenUsage | None,
) -> ProviderError:
    """The typed error for EXC, one SDK or transport failure of a request to the API."""
    from google.genai import errors

    secret = secret_of(credential)
    where = endpoint(base_url, DEFAULT_ENDPOINT)
    if isinstance(exc, errors.APIError):
        return _api_error(exc, model=model, credential=credential, usage=usage)
    if isinstance(exc, errors.UnknownApiResponseError):
        return TransientProviderError("the API sent a malformed stream chunk", usage=usage)
    if _is_timeout(exc):
        return TransientProviderError(f"no answer from {where} in time (timed out)", usage=usage)
    if _is_transport(exc):
        return TransientProviderError(
            f"the connection to {where} failed or was cut mid-way "
            f"({type(exc).__name__}: {one_line(exc, secret)})",
            usage=usage,
        )
    if isinstance(exc, ValueError | TypeError | KeyError | AttributeError):
        return TransientProviderError(
            f"the API sent a malformed stream chunk ({type(exc).__name__})", usage=usage
        )
    return ProviderError(
        f"unexpected failure ({type(exc).__name__}: {one_line(exc, secret)})", usage=usage
    )


_ROWS = (
    Row(
        AuthenticationError,
        "{refused}",
        (401,),
        ("UNAUTHENTICATED",),
        lambda refusal: bool(refusal.reasons & _KEY_REASONS),
    ),
    Row(
        AuthenticationError,
        "{whose_key} may not use model '{model}'{said}",
        (403,),
        ("PERMISSION_DENIED",),
    ),
    Row(
        ModelNotFoundError,
        "model '{model}' was not found{said}: check the profile's model name",
        (404,),
        ("NOT_FOUND",),
    ),
    Row(RateLimitedError, "rate limited{said}{wait}", (429,), ("RESOURCE_EXHAUSTED",)),
    Row(
        ContextTooLongError,
        "the prompt does not fit model '{model}'{said}: shorten the input or max_tokens",
        (413,),
        when=mentions(_CONTEXT_HINTS),
    ),
    Row(
        TransientProviderError,
        "the API failed{said}",
        (408, 499),
        tuple(_TRANSIENT_STATUSES),
        server_error,
    ),
    Row(InvalidRequestError, "the API refused the request{said}", when=always),
)


def _api_error(
    exc: Any, *, model: str, credential: Credential | None, usage: TokenUsage | None
) -> ProviderError:
    code: int = exc.code or 0
    status: str = exc.status or ""
    detail = one_line(exc.message or "", secret_of(credential))
    said = f" ({code} {status}: {detail})" if detail else f" ({code} {status})"
    retry_after = _retry_delay(exc) if code == 429 or status == "RESOURCE_EXHAUSTED" else None
    refusal = Refusal(
        code, status, detail, reasons=_error_info_reasons(exc.details), retry_after=retry_after
    )
    return typed_error(
        _ROWS,
        refusal,
        model=model,
        usage=usage,
        said=said,
        refused=refused(credential, said, "Gemini"),
        whose_key=whose_key(credential),
    )


def _error_details(details: object) -> list[dict[str, Any]]:
    """The `error.details` entries of a Google error body."""
    if not isinstance(details, dict):
        return []
    error = details.get("error", details)
    entries = error.get("details") if isinstance(error, dict) else None
    return (
        [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
    )


def _error_info_reasons(details: object) -> frozenset[str]:
    return frozenset(
        str(entry.get("reason"))
        for entry in _error_details(details)
        if str(entry.get("@type", "")).endswith("google.rpc.ErrorInfo")
    )


def _retry_delay(exc: Any) -> float | None:
    """Seconds to wait: the body's `RetryInfo.retryDelay`, else a `Retry-After` header."""
    for entry in _error_details(exc.details):
        if str(entry.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = parse_duration(entry.get("retryDelay"))
            if delay is not None:
                return delay
    headers = getattr(exc.response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    return parse_retry_after(value) if isinstance(value, str) else None


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError):
        return True
    try:
        import httpx2
    except ImportError:  # pragma: no cover - google-genai depends on it
        return False
    return isinstance(exc, httpx2.TimeoutException)


def _is_transport(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | OSError):
        return True
    try:
        import httpx2
    except ImportError:  # pragma: no cover - google-genai depends on it
        return False
    if isinstance(exc, httpx2.TransportError | httpx2.StreamError):
        return True
    # google-genai makes async calls with aiohttp when that is installed: its ClientError.
    return any(cls.__module__.startswith("aiohttp") for cls in type(exc).__mro__)
