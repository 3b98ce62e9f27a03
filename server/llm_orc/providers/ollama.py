"""The `ollama` provider: models served by Ollama, through the official `ollama` client.

Importing this module does not import the client; `availability()` says whether it is installed.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from llm_orc.credentials.lookup import Credential, find_credential
from llm_orc.providers.base import (
    FinishReason,
    GenerationRequest,
    ProviderError,
    TextSink,
    TokenUsage,
    TransientProviderError,
    estimate_tokens,
)
from llm_orc.providers.http_errors import error_for_status, one_line, retry_after_seconds, safe_url
from llm_orc.providers.streaming import Endpoint, StreamedReply, StreamingProvider

INSTALL_HINT = "provider 'ollama' needs the ollama client: pip install 'llm-orc[ollama]'"
DEFAULT_HOST = "http://localhost:11434"
_FINISH = {"stop": FinishReason.STOP, "length": FinishReason.LENGTH}


class OllamaProvider(StreamingProvider):
    """Chat with a model served by Ollama, streamed (`/api/chat`).

    Host: the profile's `base_url`, else `OLLAMA_HOST`, else localhost:11434. `options` are
    Ollama's model options (num_ctx, top_k, seed, …), passed through; `temperature` and
    `max_tokens` become its `temperature` and `num_predict`. JSON output: `format` is the
    agent's output schema, else "json". Options `keep_alive` and `think` are request fields,
    not model options. A key (Ollama's cloud) only from the profile's `api_key_env` or
    `OLLAMA_API_KEY`. Usage: Ollama's `prompt_eval_count` / `eval_count`; a count it leaves
    out (a prompt served from its cache has no `prompt_eval_count`) is estimated and marked.
    """

    name: ClassVar[str] = "ollama"
    sdk_modules: ClassVar[tuple[str, ...]] = ("ollama",)
    install_hint: ClassVar[str] = INSTALL_HINT
    options_schema: ClassVar[dict[str, Any] | None] = {
        "type": "object",
        "description": "Ollama's model options (see its API), plus keep_alive and think.",
        "additionalProperties": True,
        "properties": {
            "num_ctx": {"type": "integer", "minimum": 1},
            "num_predict": {"type": "integer"},
            "top_k": {"type": "integer", "minimum": 0},
            "top_p": {"type": "number", "minimum": 0, "maximum": 1},
            "min_p": {"type": "number", "minimum": 0, "maximum": 1},
            "seed": {"type": "integer"},
            "stop": {"type": "array", "items": {"type": "string"}},
            "repeat_penalty": {"type": "number"},
            "num_thread": {"type": "integer", "minimum": 1},
            "keep_alive": {"type": ["string", "number"]},
            "think": {"type": ["boolean", "string"]},
        },
    }

    def endpoint(self, request: GenerationRequest) -> Endpoint:
        host = request.base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_HOST
        return Endpoint(host, self._credential(request))

    def reply(self, request: GenerationRequest, on_text: TextSink) -> StreamedReply:
        return _Reply(request, on_text)

    def make_client(self, endpoint: Endpoint, request: GenerationRequest) -> Any:
        ollama = self.sdk("ollama")
        credential = endpoint.credential
        headers = {"authorization": f"Bearer {credential.secret.reveal()}"} if credential else {}
        return ollama.AsyncClient(host=endpoint.url, headers=headers)

    def _credential(self, request: GenerationRequest) -> Credential | None:
        found = find_credential(self.name, request.api_key_env or "OLLAMA_API_KEY")
        if request.api_key_env and found is None:
            raise ProviderError(
                f"the environment variable {request.api_key_env} (the profile's api_key_env) "
                "is not set; set it to the Ollama API key"
            )
        return found

    @asynccontextmanager
    async def open_stream(self, client: Any, request: GenerationRequest) -> AsyncIterator[Any]:
        options = dict(request.options)
        extra = {key: options.pop(key) for key in ("keep_alive", "think") if key in options}
        if request.temperature is not None:
            options.setdefault("temperature", request.temperature)
        if request.max_tokens is not None:
            options.setdefault("num_predict", request.max_tokens)
        messages = []
        if request.system_prompt:
            messages.append({"role": "system", "content": request.system_prompt})
        messages.append({"role": "user", "content": request.prompt})
        output_format: Any = None
        if request.json_output:
            output_format = request.json_schema if request.json_schema is not None else "json"
        yield await client.chat(
            model=request.model,
            messages=messages,
            stream=True,
            options=options or None,
            format=output_format,
            **extra,
        )

    def map_error(
        self,
        exc: Exception,
        request: GenerationRequest,
        endpoint: Endpoint,
        usage: TokenUsage | None,
    ) -> ProviderError:
        credential = endpoint.credential
        secrets = [credential.secret.reveal()] if credential else []
        return _mapped(exc, request, endpoint.url or DEFAULT_HOST, secrets, usage)


class _Reply(StreamedReply):
    """The chat being streamed: its text, and its final `done` line (counts, done_reason)."""

    incomplete: ClassVar[str] = "no final 'done' line"

    def __init__(self, request: GenerationRequest, on_text: TextSink) -> None:
        super().__init__(request, on_text)
        self.last: Any = None

    def take(self, part: Any) -> None:
        content = part.message.content if part.message is not None else None
        if content:
            self.send(content)
        if part.done:
            self.last = part
            self.finish = _FINISH.get(part.done_reason or "stop", FinishReason.OTHER)

    def tokens(self) -> TokenUsage:
        """Ollama's counts; an estimate (marked) for a count it did not send."""
        last = self.last
        prompt = getattr(last, "prompt_eval_count", None)
        generated = getattr(last, "eval_count", None)
        estimated = prompt is None or generated is None
        if prompt is None:
            prompt = estimate_tokens(self.request.system_prompt + self.request.prompt)
        if generated is None:
            generated = estimate_tokens(self.text)
        return TokenUsage(int(prompt), int(generated), estimated=estimated)

    def usage_so_far(self) -> TokenUsage | None:
        """A failed attempt's usage: estimated from what streamed (None: nothing did)."""
        return self.estimate() if self.pieces else None

    def incomplete_usage(self) -> TokenUsage | None:
        return self.estimate()


def _mapped(
    error: Exception,
    request: GenerationRequest,
    host: str,
    secrets: list[str],
    usage: TokenUsage | None,
) -> ProviderError:
    """The typed error for what the client (or httpx under it) raised."""
    ollama = importlib.import_module("ollama")
    where = safe_url(host if "://" in host else f"http://{host}")
    if isinstance(error, ollama.ResponseError):
        detail = one_line(str(error.error), secrets)
        status = int(error.status_code)
        if status == -1:  # an error line inside a stream that had started
            return TransientProviderError(f"the server reported: {detail}", usage=usage)
        if status == 404 or "not found" in detail:
            detail = f"{detail}; pull it with `ollama pull {request.model}`"
        # The client raises it `from None`; the HTTP error it replaces keeps the headers.
        response = getattr(error.__context__, "response", None)
        headers = dict(getattr(response, "headers", None) or {})
        return error_for_status(
            status,
            detail,
            model=request.model,
            key_hint="check the key in the profile's api_key_env (or OLLAMA_API_KEY)",
            retry_after=retry_after_seconds(headers),
            usage=usage,
        )
    if isinstance(error, ConnectionError) or (
        type(error).__name__ == "ConnectError" and usage is None
    ):
        return TransientProviderError(
            f"cannot reach Ollama at {where}; is `ollama serve` running?", usage=usage
        )
    if isinstance(error, ValueError):  # a line that is not JSON
        return TransientProviderError(
            f"the server sent a malformed line: {one_line(str(error), secrets, 80)}", usage=usage
        )
    return TransientProviderError(
        f"the connection to {where} broke mid-reply ({type(error).__name__}: "
        f"{one_line(str(error), secrets, 80)})",
        usage=usage,
    )
