"""The provider interface: stream text for one request and report what it used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """Everything a provider needs for one attempt of one agent."""

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


@dataclass(frozen=True, slots=True)
class Generation:
    """What one request produced: the whole text and the tokens it took."""

    text: str
    input_tokens: int
    output_tokens: int
    model: str


TextSink = Callable[[str], None]
"""Receives each piece of text as the model produces it."""


class ProviderError(Exception):
    """A provider could not produce a generation. The message must never contain a secret."""

    transient: ClassVar[bool] = False


class TransientProviderError(ProviderError):
    """A failure worth retrying: a timeout, a rate limit, a dropped connection."""

    transient: ClassVar[bool] = True


class ProviderUnavailableError(ProviderError):
    """The provider cannot run here (its package is not installed, its model is missing)."""


class Provider(Protocol):
    """A model backend. One instance serves a whole process; `generate` may run concurrently."""

    name: ClassVar[str]
    default_max_concurrency: ClassVar[int | None]
    """Cap on simultaneous generations across all profiles of this provider (None: no cap)."""

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        """Generate a reply, calling `on_text` with each piece as it arrives."""
        ...
