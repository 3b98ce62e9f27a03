"""The `openai-compatible` provider: any server speaking OpenAI's chat-completions API (OpenAI,
llama.cpp servers, vLLM, LM Studio, OpenRouter) through the official `openai` SDK.

Importing this module does not import the SDK; `availability()` says whether it is installed.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar
from urllib.parse import urlsplit

from llm_orc.credentials.lookup import Credential, find_credential
from llm_orc.providers.base import (
    FinishReason,
    GenerationRequest,
    ProviderError,
    TextSink,
    TokenUsage,
    TransientProviderError,
)
from llm_orc.providers.http_errors import error_for_status, one_line, retry_after_seconds, safe_url
from llm_orc.providers.streaming import Endpoint, StreamedReply, StreamingProvider

INSTALL_HINT = "provider 'openai-compatible' needs the openai SDK: pip install 'llm-orc[openai]'"
OFFICIAL_HOST = "api.openai.com"
NO_KEY = "no-key"
"""Sent as the bearer token to a server that needs none (the SDK insists on one)."""

_FIRST_USE_MODULES = (
    "openai",
    "openai.types.chat",
    "openai.resources.chat.chat",
    "openai.resources.chat.completions.completions",
    "openai.lib.streaming.chat",
)
_FINISH = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "content_filter": FinishReason.CONTENT_FILTER,
}
_PASSED_THROUGH = (
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "stop",
    "reasoning_effort",
    "logit_bias",
    "user",
    "service_tier",
    "max_completion_tokens",
)


class OpenAICompatibleProvider(StreamingProvider):
    """Chat completions, streamed with `stream_options={"include_usage": True}`.

    Profile: `model`, `base_url` (default OpenAI's), `api_key_env`. The key: the variable the
    profile names, else `OPENAI_API_KEY` — but only for OpenAI itself (no `base_url`, or
    api.openai.com): a key is never sent to another server unless its profile names the
    variable; a local server gets no key. JSON output: `response_format` json_schema when the
    agent has an output schema, else json_object. Options: the sampling parameters listed in
    `options_schema`, and `extra_body` (a mapping merged into the request, for server-specific
    fields). Usage is the server's; a server that sends none (llama-cpp-python's) gets an
    estimate, marked estimated.
    """

    name: ClassVar[str] = "openai-compatible"
    sdk_modules: ClassVar[tuple[str, ...]] = ("openai",)
    install_hint: ClassVar[str] = INSTALL_HINT
    options_schema: ClassVar[dict[str, Any] | None] = {
        "type": "object",
        "properties": {
            "top_p": {"type": "number", "minimum": 0, "maximum": 1},
            "frequency_penalty": {"type": "number", "minimum": -2, "maximum": 2},
            "presence_penalty": {"type": "number", "minimum": -2, "maximum": 2},
            "seed": {"type": "integer"},
            "stop": {"type": ["string", "array"], "items": {"type": "string"}},
            "reasoning_effort": {"type": "string"},
            "logit_bias": {"type": "object"},
            "user": {"type": "string"},
            "service_tier": {"type": "string"},
            "max_completion_tokens": {
                "type": "integer",
                "minimum": 1,
                "description": "Sent instead of max_tokens (OpenAI's reasoning models).",
            },
            "extra_body": {
                "type": "object",
                "description": "Extra request fields for the server, merged in as they are.",
            },
        },
    }

    def preload(self) -> None:
        """The SDK, the parts it imports on first use only (the chat-completions resource, its
        chunk types) and the TLS context every client shares: none of it on the event loop."""
        for module in _FIRST_USE_MODULES:
            importlib.import_module(module)
        if importlib.util.find_spec("aiohttp") is not None:
            _tls_context()

    def endpoint(self, request: GenerationRequest) -> Endpoint:
        return Endpoint(request.base_url, self._credential(request))

    def _credential(self, request: GenerationRequest) -> Credential | None:
        if request.api_key_env:
            found = find_credential(self.name, request.api_key_env)
            if found is None:
                raise ProviderError(
                    f"the environment variable {request.api_key_env} (the profile's "
                    "api_key_env) is not set; set it to the server's API key"
                )
            return found
        host = urlsplit(request.base_url).hostname if request.base_url else OFFICIAL_HOST
        if host == OFFICIAL_HOST:
            found = find_credential(self.name)
            if found is None:
                raise ProviderError(
                    "no API key for OpenAI: set OPENAI_API_KEY, or name another variable "
                    "with the profile's api_key_env"
                )
            return found
        return None

    def reply(self, request: GenerationRequest, on_text: TextSink) -> StreamedReply:
        return _Reply(request, on_text)

    def make_client(self, endpoint: Endpoint, request: GenerationRequest) -> Any:
        openai = self.sdk("openai")
        credential = endpoint.credential
        return openai.AsyncOpenAI(
            api_key=credential.secret.reveal() if credential else NO_KEY,
            base_url=endpoint.url,
            max_retries=0,  # the engine's retry policy is the only one
            timeout=request.timeout_seconds,
            http_client=_http_client(openai, request),
        )

    @asynccontextmanager
    async def open_stream(self, client: Any, request: GenerationRequest) -> AsyncIterator[Any]:
        stream = await client.chat.completions.create(**self._arguments(request))
        async with stream:
            yield stream

    def map_error(
        self,
        exc: Exception,
        request: GenerationRequest,
        endpoint: Endpoint,
        usage: TokenUsage | None,
    ) -> ProviderError:
        credential = endpoint.credential
        secrets = [credential.secret.reveal()] if credential else []
        return _mapped(exc, request, credential, secrets, usage)

    def _arguments(self, request: GenerationRequest) -> dict[str, Any]:
        messages = []
        if request.system_prompt:
            messages.append({"role": "system", "content": request.system_prompt})
        messages.append({"role": "user", "content": request.prompt})
        arguments: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.temperature is not None:
            arguments["temperature"] = request.temperature
        options = request.options
        if request.max_tokens is not None and "max_completion_tokens" not in options:
            arguments["max_tokens"] = request.max_tokens
        for key in _PASSED_THROUGH:
            if key in options:
                arguments[key] = options[key]
        if request.json_output:
            if request.json_schema is not None:
                arguments["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": request.json_schema},
                }
            else:
                arguments["response_format"] = {"type": "json_object"}
        extra = options.get("extra_body")
        if isinstance(extra, dict):
            arguments["extra_body"] = extra
        return arguments


class _Reply(StreamedReply):
    """The chat completion being streamed: its text, the server's usage and finish reason."""

    def __init__(self, request: GenerationRequest, on_text: TextSink) -> None:
        super().__init__(request, on_text)
        self.usage: Any = None

    def take(self, chunk: Any) -> None:
        if chunk.usage is not None:
            self.usage = chunk.usage
        for choice in chunk.choices or ():
            content = choice.delta.content if choice.delta else None
            if content:
                self.send(content)
            if choice.finish_reason:
                self.finish = _FINISH.get(choice.finish_reason, FinishReason.OTHER)

    def reported(self) -> TokenUsage | None:
        """The server's counts (None: it sent none, as llama-cpp-python's does not)."""
        reported = self.usage
        if reported is None:
            return None
        prompt_details = getattr(reported, "prompt_tokens_details", None)
        completion_details = getattr(reported, "completion_tokens_details", None)
        return TokenUsage(
            input_tokens=int(reported.prompt_tokens or 0),
            output_tokens=int(reported.completion_tokens or 0),
            cache_read_tokens=int(getattr(prompt_details, "cached_tokens", 0) or 0),
            reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", 0) or 0),
        )

    def incomplete_usage(self) -> TokenUsage | None:
        """A stream cut before its finish reason: the counts so far, estimated if need be."""
        return self.tokens()


def _mapped(
    error: Exception,
    request: GenerationRequest,
    credential: Credential | None,
    secrets: list[str],
    usage: TokenUsage | None,
) -> ProviderError:
    """The typed error for whatever the SDK (or its HTTP client) raised."""
    openai = importlib.import_module("openai")
    where = safe_url(request.base_url or f"https://{OFFICIAL_HOST}/v1")
    if isinstance(error, openai.APIStatusError):
        body = error.body if isinstance(error.body, dict) else {}
        inner = body.get("error", body) if isinstance(body, dict) else {}
        detail = inner.get("message") if isinstance(inner, dict) else None
        code = inner.get("code") if isinstance(inner, dict) else None
        headers = dict(error.response.headers) if error.response is not None else {}
        if credential is None:
            key_hint = "the server wants a key: name its variable with the profile's api_key_env"
        else:
            key_hint = f"check the key in {credential.source.removeprefix('environment variable ')}"
        return error_for_status(
            error.status_code,
            one_line(str(detail or ""), secrets),
            model=request.model,
            key_hint=key_hint,
            retry_after=retry_after_seconds(headers),
            code=code if isinstance(code, str) else None,
            usage=usage,
        )
    if isinstance(error, openai.APITimeoutError):
        return TransientProviderError(f"{where} did not answer in time", usage=usage)
    if isinstance(error, openai.APIConnectionError) and usage is not None:
        return TransientProviderError(
            f"the connection to {where} broke mid-reply: "
            f"{one_line(str(error.__cause__ or error), secrets)}",
            usage=usage,
        )
    if isinstance(error, openai.APIConnectionError):
        return TransientProviderError(
            f"cannot reach {where}: {one_line(str(error.__cause__ or error), secrets)}; is the "
            "server running?",
            usage=usage,
        )
    if isinstance(error, ValueError):  # a chunk that is not JSON
        return TransientProviderError(
            f"the server sent a malformed chunk: {one_line(str(error), secrets, 80)}", usage=usage
        )
    # The HTTP client's own errors mid-stream (a connection reset or cut).
    return TransientProviderError(
        f"the connection to {where} failed mid-reply ({type(error).__name__}: "
        f"{one_line(str(error), secrets, 80)})",
        usage=usage,
    )


def _http_client(openai: Any, request: GenerationRequest) -> Any:
    """The SDK's aiohttp transport when the `aiohttp` package is there (the `openai` extra
    installs it), else None: the SDK's own httpx pool. The SDK recommends aiohttp for many
    requests at once; httpx's pool walks every connection on each request and each close, so
    200 agents at once spent about 0.3 s there."""
    if importlib.util.find_spec("aiohttp") is None:
        return None
    if request.timeout_seconds is None:
        return openai.DefaultAioHttpClient(verify=_tls_context())
    return openai.DefaultAioHttpClient(verify=_tls_context(), timeout=request.timeout_seconds)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The SDK transport's default TLS context (its CA bundle, `SSL_CERT_FILE` and the like
    honoured), made once per process: loading the CA bundle takes tens of milliseconds."""
    context: ssl.SSLContext = importlib.import_module("httpx2").create_ssl_context()
    return context
