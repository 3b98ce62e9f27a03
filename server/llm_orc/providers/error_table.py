"""An API's refusal as one typed provider error, by a table each provider fills in.

A provider reads what its SDK raised into a `Refusal` (status, the API's own error kind, its
words), and `typed_error` goes down the provider's rows: the first `Row` that matches names the
error class and the message. A row matches a status it lists, a kind it lists, or its `when`.
Messages are templates of `{model}`, `{status}`, `{wait}` ("; retry after 7s" when the API
said how long) and the fields the provider passes (its `{said}`, a key hint ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from llm_orc.providers.base import ProviderError, RateLimitedError, TokenUsage


@dataclass(frozen=True, slots=True)
class Refusal:
    """What an API said when it refused a request (or ended a stream with an error)."""

    status: int
    """The HTTP status (200 for an error event inside a stream)."""
    kind: str = ""
    """The API's own name for the error (Anthropic's `error.type`, Google's `status`)."""
    detail: str = ""
    """The API's own words: one line, masked."""
    code: str | None = None
    """The API's error code, where it sends one (OpenAI's `insufficient_quota` ...)."""
    reasons: frozenset[str] = frozenset()
    """Further reasons the body gives (Google's `ErrorInfo.reason`s)."""
    retry_after: float | None = None
    """Seconds the API asked us to wait."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a provider's table: a matching refusal becomes ERROR with MESSAGE."""

    error: type[ProviderError]
    message: str
    statuses: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    when: Callable[[Refusal], bool] | None = None

    def matches(self, refusal: Refusal) -> bool:
        return (
            refusal.status in self.statuses
            or refusal.kind in self.kinds
            or (self.when is not None and self.when(refusal))
        )


def always(refusal: Refusal) -> bool:
    """The `when` of a table's last row: whatever no row above took."""
    return True


def server_error(refusal: Refusal) -> bool:
    """A 5xx: the server failed (worth a retry)."""
    return refusal.status >= 500


def mentions(hints: Sequence[str]) -> Callable[[Refusal], bool]:
    """A `when` that matches a refusal whose words mention one of HINTS (any case)."""

    def mentioned(refusal: Refusal) -> bool:
        lowered = refusal.detail.lower()
        return any(hint in lowered for hint in hints)

    return mentioned


def typed_error(
    rows: Sequence[Row], refusal: Refusal, *, model: str, usage: TokenUsage | None, **fields: str
) -> ProviderError:
    """The error the first row matching REFUSAL names (the last row should take anything)."""
    retry_after = refusal.retry_after
    wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
    for row in rows:
        if row.matches(refusal):
            message = row.message.format(model=model, status=refusal.status, wait=wait, **fields)
            if issubclass(row.error, RateLimitedError):
                return row.error(message, retry_after=retry_after, usage=usage)
            return row.error(message, usage=usage)
    return ProviderError(f"the API refused the request ({refusal.status})", usage=usage)
