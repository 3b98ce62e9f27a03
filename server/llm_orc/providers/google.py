"""The `google` provider (aliases `google-gemini`, `gemini`): Gemini through google-genai.

google-genai is the maintained SDK (the older google-generativeai is deprecated). Keys:
`GEMINI_API_KEY`, else `GOOGLE_API_KEY` (or a registered credential source), sent only to
generativelanguage.googleapis.com; a profile whose `base_url` is another server names the
variable holding that server's key with `api_key_env`, else no key is sent. One
`genai.Client` per base URL and key in each event loop, its base URL set through
`HttpOptions(base_url=...)` and its retries off (`HttpRetryOptions(attempts=1)`, which also
stops the SDK's own implicit retry of connection errors: the engine's retry policy is the only
one). Each attempt is `client.aio.models.generate_content_stream` (the REST
`:streamGenerateContent?alt=sse`), its text parts sent on as they arrive; thought parts are
not part of the answer and are left out.

Usage is the API's `usage_metadata` (the last one of the stream): input is
`prompt_token_count` (which includes `cached_content_token_count`, reported as cache reads)
plus `tool_use_prompt_token_count`; output is `candidates_token_count` plus
`thoughts_token_count` (reported as reasoning tokens). A stream that sent no usage at all is
counted by estimate and marked estimated, never a silent zero.

Finish reasons: `STOP` -> stop, `MAX_TOKENS` -> length, the safety and policy reasons
(`SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, ...) -> content_filter,
others -> other; a prompt blocked outright (`prompt_feedback.block_reason`) ends with
content_filter and no text. A stream that ends with no finish reason is a transient failure:
the answer is incomplete.

JSON output: `response_mime_type: application/json`, and with an `output_schema` the schema as
`response_json_schema` (a JSON Schema, as written; `response_schema` takes Google's OpenAPI
subset instead). Option `structured_output: false` leaves the schema to the prompt.

Options (`options_schema`): `top_p`, `top_k`, `stop_sequences`, `seed`, `thinking_budget`
(tokens the model may spend thinking; 0 turns thinking off where the model allows it), and
`structured_output`.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from llm_orc.providers.base import (
    FinishReason,
    GenerationRequest,
    ProviderError,
    TextSink,
    TokenUsage,
)
from llm_orc.providers.cloud_credentials import NO_KEY, credential_for
from llm_orc.providers.streaming import (
    Endpoint,
    StreamedReply,
    StreamingProvider,
    sdk_read_timeout,
)

CREDENTIAL_PROVIDER = "google"
OFFICIAL_HOST = "generativelanguage.googleapis.com"

_CONTENT_FILTER = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "MODEL_ARMOR",
}

OPTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "top_p": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Nucleus sampling: only the tokens of this top probability mass.",
        },
        "top_k": {
            "type": "integer",
            "minimum": 1,
            "description": "Sample only from the K most likely tokens.",
        },
        "stop_sequences": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": "Texts that end the reply.",
        },
        "seed": {"type": "integer", "description": "Seed for sampling (best effort)."},
        "thinking_budget": {
            "type": "integer",
            "minimum": -1,
            "description": "Tokens the model may spend thinking (0: off where allowed; "
            "-1: the model decides).",
        },
        "structured_output": {
            "type": "boolean",
            "description": "With an output_schema: constrain decoding to it through "
            "response_json_schema (default true).",
        },
    },
    "additionalProperties": False,
}


class GoogleProvider(StreamingProvider):
    """Gemini models over the Gemini API; see the module docstring."""

    name: ClassVar[str] = "google"
    options_schema: ClassVar[dict[str, Any] | None] = OPTIONS_SCHEMA
    sdk_modules: ClassVar[tuple[str, ...]] = ("google", "google.genai")
    install_hint: ClassVar[str] = (
        "provider 'google' needs the google-genai SDK: pip install 'llm-orc[google]'"
    )

    def endpoint(self, request: GenerationRequest) -> Endpoint:
        credential = credential_for(CREDENTIAL_PROVIDER, request, OFFICIAL_HOST, "Gemini")
        return Endpoint(request.base_url, credential)

    def reply(self, request: GenerationRequest, on_text: TextSink) -> StreamedReply:
        return _Reply(request, on_text)

    def make_client(self, endpoint: Endpoint, request: GenerationRequest) -> Any:
        genai = self.sdk("google.genai")
        types = self.sdk("google.genai.types")
        credential = endpoint.credential
        return genai.Client(
            api_key=credential.secret.reveal() if credential is not None else NO_KEY,
            vertexai=False,
            http_options=types.HttpOptions(
                base_url=endpoint.url, retry_options=types.HttpRetryOptions(attempts=1)
            ),
        )

    async def close_client(self, client: Any) -> None:
        await client.aio.aclose()
        client.close()

    @asynccontextmanager
    async def open_stream(self, client: Any, request: GenerationRequest) -> AsyncIterator[Any]:
        yield await client.aio.models.generate_content_stream(
            model=request.model, contents=request.prompt, config=_config(request)
        )

    def map_error(
        self,
        exc: Exception,
        request: GenerationRequest,
        endpoint: Endpoint,
        usage: TokenUsage | None,
    ) -> ProviderError:
        from llm_orc.providers.google_errors import map_error

        return map_error(
            exc,
            model=request.model,
            credential=endpoint.credential,
            base_url=endpoint.url,
            usage=usage,
        )


def _config(request: GenerationRequest) -> Any:
    """The GenerateContentConfig for REQUEST."""
    from google.genai import types

    options = request.options
    config: dict[str, Any] = {
        "http_options": types.HttpOptions(
            timeout=math.ceil(sdk_read_timeout(request) * 1000),
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    }
    if request.system_prompt:
        config["system_instruction"] = request.system_prompt
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.max_tokens is not None:
        config["max_output_tokens"] = request.max_tokens
    for key in ("top_p", "top_k", "stop_sequences", "seed"):
        if options.get(key) is not None:
            config[key] = options[key]
    if options.get("thinking_budget") is not None:
        config["thinking_config"] = types.ThinkingConfig(thinking_budget=options["thinking_budget"])
    if request.json_output or request.json_schema is not None:
        config["response_mime_type"] = "application/json"
        if request.json_schema is not None and options.get("structured_output", True):
            config["response_json_schema"] = request.json_schema
    return types.GenerateContentConfig(**config)


class _Reply(StreamedReply):
    """The reply being streamed: its text, the latest usage and the finish reason."""

    def __init__(self, request: GenerationRequest, on_text: TextSink) -> None:
        super().__init__(request, on_text)
        self.usage: Any = None

    def take(self, chunk: Any) -> None:
        """Fold one streamed response chunk into the reply, sending its text on at once."""
        if chunk.usage_metadata is not None:
            self.usage = chunk.usage_metadata
        self.model = chunk.model_version or self.model
        feedback = chunk.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            self.finish = FinishReason.CONTENT_FILTER
        for candidate in (chunk.candidates or [])[:1]:
            content = candidate.content
            for part in (content.parts or []) if content is not None else []:
                if part.text and not part.thought:
                    self.send(part.text)
            if candidate.finish_reason is not None:
                self.finish = _finish_reason(str(_enum_value(candidate.finish_reason)))

    def reported(self) -> TokenUsage | None:
        """The latest usage_metadata's counts (None: the stream sent none)."""
        usage = self.usage
        if usage is None:
            return None
        thoughts = usage.thoughts_token_count or 0
        return TokenUsage(
            (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0),
            (usage.candidates_token_count or 0) + thoughts,
            cache_read_tokens=usage.cached_content_token_count or 0,
            reasoning_tokens=thoughts,
        )


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _finish_reason(reason: str) -> FinishReason:
    if reason == "STOP":
        return FinishReason.STOP
    if reason == "MAX_TOKENS":
        return FinishReason.LENGTH
    if reason in _CONTENT_FILTER:
        return FinishReason.CONTENT_FILTER
    return FinishReason.OTHER
