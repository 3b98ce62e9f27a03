"""The provider interface: stream text for one request and report what it used, or fail typed."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol


class FinishReason(StrEnum):
    """Why a generation ended: a `length` ending means the text (a JSON answer too) is cut."""

    STOP = "stop"
    LENGTH = "length"
    CONTENT_FILTER = "content_filter"
    OTHER = "other"


class TokenCounts(Protocol):
    """The token counts of one attempt, as `TokenUsage` and `Generation` both carry them (a
    run prices a generation's counts without copying them into a `TokenUsage` first)."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cache_write_tokens(self) -> int: ...
    @property
    def reasoning_tokens(self) -> int: ...
    @property
    def estimated(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """What one attempt used. Cache and reasoning tokens are parts of the input/output counts."""

    input_tokens: int = 0
    """Every prompt token, cache reads and writes included."""
    output_tokens: int = 0
    """Every generated token, reasoning included."""
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False
    """Some count was estimated (the provider did not report it)."""

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.estimated or other.estimated,
        )


def estimate_tokens(text: str) -> int:
    """A rough token count (four characters a token) for counts a provider did not send."""
    return tokens_for_chars(len(text))


def tokens_for_chars(chars: int) -> int:
    """`estimate_tokens` of a text of CHARS characters (for text counted as it streams)."""
    return math.ceil(chars / 4)


@dataclass(slots=True)
class GenerationRequest:
    """Everything a provider needs for one attempt of one agent; read-only by convention (each
    attempt gets a request of its own). Not frozen: a run builds one per agent before the
    agent's first await, and a frozen dataclass of 16 fields takes about 2.3 µs to build
    against 0.8 µs (1,000 agents: 1.5 ms of the fan-out benchmark's launch)."""

    model: str
    system_prompt: str
    prompt: str
    temperature: float | None = None
    max_tokens: int | None = None
    json_output: bool = False
    """Ask the model for a single JSON value (constrained where the provider can)."""
    json_schema: dict[str, Any] | None = None
    """With json_output: the JSON Schema the value must match (constrained where possible)."""
    options: dict[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    agent: str = ""
    attempt: int = 1
    """1 for the first attempt, 2 for the first retry, and so on."""
    provider: str = ""
    """The provider name the profile used (an alias included)."""
    profile: str = ""
    api_key_env: str | None = None
    """The name of the environment variable holding the key (never the key itself)."""
    timeout_seconds: float | None = None
    """The whole attempt's timeout (the scheduler enforces it too)."""
    idle_timeout_seconds: float | None = None
    """Longest wait for the first text and between texts (the scheduler enforces it)."""


@dataclass(frozen=True, slots=True)
class Generation:
    """What one request produced: the whole text, why it ended, and the tokens it took."""

    text: str
    input_tokens: int
    output_tokens: int
    model: str
    finish_reason: FinishReason = FinishReason.STOP
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False

    @property
    def usage(self) -> TokenUsage:
        return TokenUsage(
            self.input_tokens,
            self.output_tokens,
            self.cache_read_tokens,
            self.cache_write_tokens,
            self.reasoning_tokens,
            self.estimated,
        )


TextSink = Callable[[str], None]
"""Receives each piece of text as the model produces it."""


class ProviderError(Exception):
    """A provider could not produce a generation: one line saying what to do, never a secret.

    USAGE: what the failed attempt used, when it streamed before failing (it is paid for).
    """

    transient: ClassVar[bool] = False
    error_type: ClassVar[str] = "provider"
    """The result's `error.type` for this failure."""

    def __init__(self, message: str, *, usage: TokenUsage | None = None) -> None:
        super().__init__(message)
        self.usage = usage


class TransientProviderError(ProviderError):
    """A failure worth retrying: a 5xx, a reset or dropped connection, a stream cut mid-way."""

    transient: ClassVar[bool] = True
    error_type: ClassVar[str] = "transient"


class RateLimitedError(TransientProviderError):
    """The provider asked us to slow down; RETRY_AFTER (seconds) when it said how long."""

    error_type: ClassVar[str] = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: float | None = None, usage: TokenUsage | None = None
    ) -> None:
        super().__init__(message, usage=usage)
        self.retry_after = retry_after


class AuthenticationError(ProviderError):
    """The key is missing, wrong or not allowed to use the model."""

    error_type: ClassVar[str] = "authentication"


class InvalidRequestError(ProviderError):
    """The provider refused the request as malformed (an option, a parameter)."""

    error_type: ClassVar[str] = "invalid_request"


class ContextTooLongError(InvalidRequestError):
    """The prompt (with room for the reply) does not fit the model's context window."""

    error_type: ClassVar[str] = "context_too_long"


class ModelNotFoundError(ProviderError):
    """The provider does not know the model."""

    error_type: ClassVar[str] = "model_not_found"


class ProviderUnavailableError(ProviderError):
    """The provider cannot run here (its package is not installed, its model is missing)."""

    error_type: ClassVar[str] = "unavailable"


class Provider(Protocol):
    """A model backend: one instance per event loop; `generate` may run concurrently.

    Optional members, read with `getattr`: `options_schema` (a JSON Schema of `options`, for
    validation and completion), `availability()` (a cheap classmethod: None when usable, else
    one line saying what to install), `preload()` (blocking: import what the first request
    needs; run in a thread before a run starts, its errors ignored) and `async aclose()` (close
    clients when the loop's runs are done).
    """

    name: ClassVar[str]
    default_max_concurrency: ClassVar[int | None]
    """Cap on simultaneous generations across all profiles of this provider (None: no cap)."""

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        """Generate a reply, calling `on_text` with each piece as it arrives."""
        ...
