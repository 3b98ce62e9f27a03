"""Anthropic SDK failures as the engine's typed provider errors, in one line without the key.

HTTP errors are classified by status; an `error` event inside a stream (its HTTP status is
200) by the body's `error.type`. Messages quote only the API's own `error.message`, masked.
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
    parse_retry_after,
    refused,
    secret_of,
    whose_key,
)

DEFAULT_ENDPOINT = "https://api.anthropic.com"

_CONTEXT_HINTS = ("prompt is too long", "too many tokens", "context window", "context length")


def map_error(
    exc: BaseException,
    *,
    model: str,
    credential: Credential | None,
    base_url: str | None,
    usage: TokenUsage | None,
) -> ProviderError:
    """The typed error for EXC, one SDK or transport failure of a request to the API."""
    import anthropic
    import httpx2

    secret = secret_of(credential)
    if isinstance(exc, anthropic.APIStatusError):
        return _status_error(exc, model=model, credential=credential, usage=usage)
    if isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException):
        return TransientProviderError(
            f"no answer from {endpoint(base_url, DEFAULT_ENDPOINT)} in time (timed out)",
            usage=usage,
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return TransientProviderError(
            f"cannot reach {endpoint(base_url, DEFAULT_ENDPOINT)}: "
            f"{one_line(exc.__cause__ or exc.message, secret)}",
            usage=usage,
        )
    if isinstance(exc, httpx2.TransportError):
        return TransientProviderError(
            f"the stream was cut mid-way ({type(exc).__name__}: {one_line(exc, secret)})",
            usage=usage,
        )
    if isinstance(exc, anthropic.APIResponseValidationError | ValueError | TypeError):
        return TransientProviderError(
            f"the API sent a malformed stream event ({type(exc).__name__})", usage=usage
        )
    return ProviderError(
        f"unexpected failure ({type(exc).__name__}: {one_line(exc, secret)})", usage=usage
    )


_ROWS = (
    Row(AuthenticationError, "{refused}", (401,), ("authentication_error",)),
    Row(
        AuthenticationError,
        "{whose_key} may not use model '{model}'{said}",
        (403,),
        ("permission_error",),
    ),
    Row(
        ModelNotFoundError,
        "model '{model}' was not found{said}: check the profile's model name",
        (404,),
        ("not_found_error",),
    ),
    Row(
        RateLimitedError,
        "rate limited{said}{wait}",
        (429,),
        ("rate_limit_error",),
    ),
    Row(
        ContextTooLongError,
        "the prompt does not fit model '{model}'{said}: shorten the input or max_tokens",
        (413,),
        ("request_too_large",),
        mentions(_CONTEXT_HINTS),
    ),
    Row(
        TransientProviderError,
        "the API failed{said}",
        (408, 409),
        ("api_error", "overloaded_error"),
        server_error,
    ),
    # An error event of a kind not known here, inside a stream (its status is 200).
    Row(TransientProviderError, "the stream ended with an error{said}", (200,)),
    Row(InvalidRequestError, "the API refused the request{said}", when=always),
)


def _status_error(
    exc: Any, *, model: str, credential: Credential | None, usage: TokenUsage | None
) -> ProviderError:
    status: int = exc.status_code
    kind: str = exc.type or ""
    detail = one_line(exc.api_message or _body_text(exc.body), secret_of(credential))
    what = f"{status} {kind}".strip() if status != 200 else kind or "error event"
    said = f" ({what}: {detail})" if detail else f" ({what})"
    retry_after = _retry_after(exc) if status == 429 or kind == "rate_limit_error" else None
    return typed_error(
        _ROWS,
        Refusal(status, kind, detail, retry_after=retry_after),
        model=model,
        usage=usage,
        said=said,
        refused=refused(credential, said, "Anthropic"),
        whose_key=whose_key(credential),
    )


def _retry_after(exc: Any) -> float | None:
    headers = exc.response.headers
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        seconds = parse_retry_after(milliseconds)
        if seconds is not None:
            return seconds / 1000
    return parse_retry_after(headers.get("retry-after"))


def _body_text(body: object) -> str:
    return body if isinstance(body, str) else ""
