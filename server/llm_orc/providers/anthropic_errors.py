"""Anthropic SDK failures as the engine's typed provider errors, in one line without the key.

HTTP errors are classified by status; an `error` event inside a stream (its HTTP status is
200) by the body's `error.type`. Messages quote only the API's own `error.message`, masked.
"""

from __future__ import annotations

from typing import Any

from llm_orc.credentials.lookup import Credential, Secret
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
from llm_orc.providers.error_text import endpoint, one_line, parse_retry_after

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

    secret = credential.secret if credential is not None else None
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


def _status_error(
    exc: Any, *, model: str, credential: Credential | None, usage: TokenUsage | None
) -> ProviderError:
    status: int = exc.status_code
    kind: str = exc.type or ""
    detail = one_line(exc.api_message or _body_text(exc.body), _secret(credential))
    what = f"{status} {kind}".strip() if status != 200 else kind or "error event"
    said = f" ({what}: {detail})" if detail else f" ({what})"

    if status == 401 or kind == "authentication_error":
        return AuthenticationError(
            _refused(credential, said),
            usage=usage,
        )
    if status == 403 or kind == "permission_error":
        return AuthenticationError(
            f"{_whose_key(credential)} may not use model '{model}'{said}", usage=usage
        )
    if status == 404 or kind == "not_found_error":
        return ModelNotFoundError(
            f"model '{model}' was not found{said}: check the profile's model name", usage=usage
        )
    if status == 429 or kind == "rate_limit_error":
        retry_after = _retry_after(exc)
        wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return RateLimitedError(f"rate limited{said}{wait}", retry_after=retry_after, usage=usage)
    if status == 413 or kind == "request_too_large" or _mentions_context(detail):
        return ContextTooLongError(
            f"the prompt does not fit model '{model}'{said}: shorten the input or max_tokens",
            usage=usage,
        )
    if status >= 500 or status in (408, 409) or kind in ("api_error", "overloaded_error"):
        return TransientProviderError(f"the API failed{said}", usage=usage)
    if status == 200:  # an error event of a kind not known here, inside a stream
        return TransientProviderError(f"the stream ended with an error{said}", usage=usage)
    return InvalidRequestError(f"the API refused the request{said}", usage=usage)


def _mentions_context(detail: str) -> bool:
    lowered = detail.lower()
    return any(hint in lowered for hint in _CONTEXT_HINTS)


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


def _secret(credential: Credential | None) -> Secret | None:
    return credential.secret if credential is not None else None


def _whose_key(credential: Credential | None) -> str:
    return f"the key from {credential.source}" if credential is not None else "the request"


def _refused(credential: Credential | None, said: str) -> str:
    if credential is None:
        return (
            f"the server wants a key{said}: name the variable holding it with the profile's "
            "api_key_env"
        )
    return f"the API refused the key from {credential.source}{said}: set a valid Anthropic key"
