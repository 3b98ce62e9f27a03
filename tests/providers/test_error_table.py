"""The error table form the providers fill in (`providers.error_table`): first matching row
wins, a rate limit carries its wait, and the API's words are never read as a template."""

from __future__ import annotations

from llm_orc.providers.base import (
    AuthenticationError,
    InvalidRequestError,
    RateLimitedError,
    TokenUsage,
    TransientProviderError,
)
from llm_orc.providers.error_table import (
    Refusal,
    Row,
    always,
    mentions,
    server_error,
    typed_error,
)

ROWS = (
    Row(AuthenticationError, "refused{said}", (401,), ("auth",)),
    Row(RateLimitedError, "slow down{said}{wait}", (429,)),
    Row(TransientProviderError, "failed ({status})", (408,), when=server_error),
    Row(InvalidRequestError, "too long for '{model}'", when=mentions(("context",))),
    Row(InvalidRequestError, "refused ({status}){said}", when=always),
)


def _error(refusal: Refusal, said: str = "") -> Exception:
    return typed_error(ROWS, refusal, model="m", usage=TokenUsage(1, 2), said=said)


def test_a_row_matches_its_status_its_kind_or_its_condition() -> None:
    assert isinstance(_error(Refusal(401)), AuthenticationError)
    assert isinstance(_error(Refusal(400, "auth")), AuthenticationError)
    assert str(_error(Refusal(503))) == "failed (503)"
    assert str(_error(Refusal(400, detail="Context window exceeded"))) == "too long for 'm'"


def test_the_first_matching_row_wins_and_the_last_takes_the_rest() -> None:
    error = _error(Refusal(401, detail="context"))  # matches the first and the fourth row
    assert isinstance(error, AuthenticationError)
    error = _error(Refusal(418), said=": teapot")
    assert type(error) is InvalidRequestError and str(error) == "refused (418): teapot"
    assert error.usage == TokenUsage(1, 2)


def test_a_rate_limit_says_and_carries_its_wait() -> None:
    error = _error(Refusal(429, retry_after=7.0), said=" (busy)")
    assert isinstance(error, RateLimitedError) and error.retry_after == 7.0
    assert str(error) == "slow down (busy); retry after 7s"
    assert str(_error(Refusal(429))) == "slow down"


def test_the_apis_words_are_never_read_as_a_template() -> None:
    error = _error(Refusal(400), said=": {model} {0} {wait")
    assert str(error) == "refused (400): {model} {0} {wait"
