"""The skeleton the SDK providers share: a streamed request per attempt, read chunk by chunk.

`StreamingProvider.generate` finds the attempt's endpoint and key, takes that endpoint's SDK
client from the loop's cache (one client, and so one connection pool, per URL and key), opens
the stream, hands each chunk to a `StreamedReply` (which sends text on at once and keeps usage
and finish reason), maps whatever the SDK raises to a typed `ProviderError` carrying what the
attempt used, and returns the generation — or, for a stream that ended before it said it was
complete, a transient failure. Timeouts are the scheduler's (whole attempt, idle) and the
SDK's own read timeout; cancellation goes through as it comes.

A provider module supplies only what its SDK makes different: `endpoint` (where the request
goes and with which key), `make_client`, `open_stream` (the request), its `StreamedReply`
subclass (`reply`; its `take` reads one chunk's text, usage and finish reason) and
`map_error`.
"""

from __future__ import annotations

import importlib
import importlib.util
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

from llm_orc.credentials.lookup import Credential
from llm_orc.providers.base import (
    FinishReason,
    Generation,
    GenerationRequest,
    ProviderError,
    ProviderUnavailableError,
    TextSink,
    TokenUsage,
    TransientProviderError,
    estimate_tokens,
)
from llm_orc.providers.clients import ClientCache

DEFAULT_TIMEOUT_SECONDS = 600.0
"""The SDK's read timeout when the profile sets no timeout (the scheduler's limits still apply)."""

SDK_TIMEOUT_MARGIN_SECONDS = 1.0
"""The SDK waits this much longer than the profile's timeouts, which the scheduler enforces:
its own timeout is the bound for direct callers, never a race with the scheduler's."""


def sdk_read_timeout(request: GenerationRequest) -> float:
    """Seconds the SDK waits for the next bytes: the idle timeout (before the first text and
    between texts), else the whole attempt's, else the default; plus the margin."""
    seconds = request.idle_timeout_seconds or request.timeout_seconds or DEFAULT_TIMEOUT_SECONDS
    return seconds + SDK_TIMEOUT_MARGIN_SECONDS


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where an attempt goes (None: the SDK's default URL) and the key it sends (None: none)."""

    url: str | None
    credential: Credential | None

    @property
    def client_key(self) -> tuple[str | None, str | None]:
        """The client cache's key: the URL and the key's fingerprint (never the key)."""
        credential = self.credential
        return (self.url, credential.secret.fingerprint if credential is not None else None)


class StreamedReply(ABC):
    """The reply being streamed: its text so far, and what the chunks said of usage and finish.

    A provider's subclass reads its SDK's chunks in `take` (text through `send`), sets
    `finish` when the stream says the reply is complete and reports the server's counts in
    `reported`; counts the server did not send are estimated (`estimate`) and marked so.
    """

    incomplete: ClassVar[str] = "no finish reason"
    """What was missing from a stream that ended early (said in its transient error)."""

    def __init__(self, request: GenerationRequest, on_text: TextSink) -> None:
        self.request = request
        self.model = request.model
        self.pieces: list[str] = []
        self.finish: FinishReason | None = None
        self._on_text = on_text

    @abstractmethod
    def take(self, chunk: Any) -> None:
        """Fold one streamed chunk into the reply."""

    def send(self, text: str) -> None:
        """Keep TEXT and send it on at once."""
        self.pieces.append(text)
        self._on_text(text)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def reported(self) -> TokenUsage | None:
        """The counts the server reported (None: it sent none)."""
        return None

    def estimate(self) -> TokenUsage:
        """Both counts estimated (four characters a token), marked estimated."""
        prompt = self.request.system_prompt + self.request.prompt
        return TokenUsage(estimate_tokens(prompt), estimate_tokens(self.text), estimated=True)

    def tokens(self) -> TokenUsage:
        """The reply's usage: the server's counts, else an estimate marked so."""
        reported = self.reported()
        return self.estimate() if reported is None else reported

    def finish_reason(self) -> FinishReason | None:
        """Why the reply ended (None: the stream never said, so it is incomplete)."""
        return self.finish

    def usage_so_far(self) -> TokenUsage | None:
        """What a failed attempt used (it is paid for); None when nothing came back."""
        if not self.pieces and self.reported() is None:
            return None
        return self.tokens()

    def incomplete_usage(self) -> TokenUsage | None:
        """What an attempt whose stream ended early used."""
        return self.usage_so_far()

    def generation(self) -> Generation:
        """The finished generation; a stream that never said it was complete is a transient
        failure (the answer is cut)."""
        finish = self.finish_reason()
        if finish is None:
            raise TransientProviderError(
                f"the stream ended before the reply was complete ({self.incomplete})",
                usage=self.incomplete_usage(),
            )
        tokens = self.tokens()
        return Generation(
            text=self.text,
            input_tokens=tokens.input_tokens,
            output_tokens=tokens.output_tokens,
            model=self.model,
            finish_reason=finish,
            cache_read_tokens=tokens.cache_read_tokens,
            cache_write_tokens=tokens.cache_write_tokens,
            reasoning_tokens=tokens.reasoning_tokens,
            estimated=tokens.estimated,
        )


class StreamingProvider(ABC):
    """A provider that streams one SDK request per attempt; see the module docstring.

    One instance per event loop (the registry's rule): its clients belong to that loop.
    """

    name: ClassVar[str]
    default_max_concurrency: ClassVar[int | None] = None
    options_schema: ClassVar[dict[str, Any] | None] = None
    sdk_modules: ClassVar[tuple[str, ...]]
    """The modules the SDK needs (checked in order by `availability`, never imported)."""
    install_hint: ClassVar[str]
    """What `availability` says when the SDK is not installed."""

    def __init__(self) -> None:
        self._clients: ClientCache[Any] = ClientCache(self.close_client)

    @classmethod
    def availability(cls) -> str | None:
        """None when the SDK is installed, else what to install."""
        for module in cls.sdk_modules:
            if importlib.util.find_spec(module) is None:
                return cls.install_hint
        return None

    def sdk(self, module: str) -> Any:
        """MODULE of the SDK, imported; `ProviderUnavailableError` (the install hint) when the
        SDK is not installed."""
        try:
            return importlib.import_module(module)
        except ImportError:
            raise ProviderUnavailableError(self.install_hint) from None

    def preload(self) -> None:
        """Import the SDK now (blocking: the engine calls it in a thread before a run starts,
        so no first request imports it on the event loop). Raises ImportError when missing."""
        for module in self.sdk_modules:
            importlib.import_module(module)

    async def aclose(self) -> None:
        """Close this loop's clients and their connection pools."""
        await self._clients.aclose()

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        endpoint = self.endpoint(request)
        client = self._clients.get(endpoint.client_key, lambda: self.make_client(endpoint, request))
        reply = self.reply(request, on_text)
        try:
            async with self.open_stream(client, request) as stream:
                async for chunk in stream:
                    reply.take(chunk)
        except ProviderError:
            raise
        except Exception as exc:
            raise self.map_error(exc, request, endpoint, reply.usage_so_far()) from None
        return reply.generation()

    @abstractmethod
    def endpoint(self, request: GenerationRequest) -> Endpoint:
        """Where REQUEST goes and the key it sends; raises a ProviderError when a key that
        should be there is not."""

    @abstractmethod
    def reply(self, request: GenerationRequest, on_text: TextSink) -> StreamedReply:
        """A new reply to REQUEST, sending its text to ON_TEXT (the SDK's `StreamedReply`)."""

    @abstractmethod
    def make_client(self, endpoint: Endpoint, request: GenerationRequest) -> Any:
        """A new SDK client for ENDPOINT (retries off: the engine's policy is the only one)."""

    async def close_client(self, client: Any) -> None:
        """Close CLIENT and its connection pool."""
        await client.close()

    @abstractmethod
    def open_stream(
        self, client: Any, request: GenerationRequest
    ) -> AbstractAsyncContextManager[AsyncIterable[Any]]:
        """Send REQUEST with CLIENT; the context holds the response's chunks."""

    @abstractmethod
    def map_error(
        self,
        exc: Exception,
        request: GenerationRequest,
        endpoint: Endpoint,
        usage: TokenUsage | None,
    ) -> ProviderError:
        """The typed, one-line, key-free error for what the SDK raised (USAGE: what the attempt
        used so far)."""
