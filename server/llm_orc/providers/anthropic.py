"""The `anthropic` provider (alias `anthropic-api`): Claude through the official anthropic SDK.

Keys: `ANTHROPIC_API_KEY` (or a registered credential source) is sent only to
api.anthropic.com; a profile whose `base_url` is another server (a gateway, a proxy) names the
variable holding that server's key with `api_key_env`, else no key is sent
(`cloud_credentials`). One `AsyncAnthropic` client per base URL and key in each event loop,
with the SDK's retries off (`max_retries=0`: the engine's retry policy is the only one). Each
attempt streams a Messages request (`stream=True`) and reads the raw events:
`message_start` (input and cache token counts), `content_block_delta` (text, sent on at
once), `message_delta` (stop reason, final output count) and `message_stop`. A stream that
ends without `message_stop` is a transient failure: the answer is incomplete.

Settings: `max_tokens` is required by the API; without one on the profile or agent it is
`DEFAULT_MAX_TOKENS`. The system prompt goes in `system`, the prompt is the one user message.
`temperature` (and the `top_p`/`top_k` options) are sent only when set, in the body through
`extra_body`: SDK 1.0 removed them from `messages.create`, the API still takes them on models
that allow sampling settings, and a model that does not refuses them with a 400, reported as
an invalid request naming the setting.

Usage: Anthropic's `input_tokens` leaves out cached tokens, so the input count reported here is
`input_tokens + cache_read_input_tokens + cache_creation_input_tokens`, with the two cache
counts beside it; reasoning tokens come from `output_tokens_details.thinking_tokens`.
Stop reasons: `end_turn`/`stop_sequence` -> stop, `max_tokens` and
`model_context_window_exceeded` -> length, `refusal` -> content_filter, others -> other.

JSON output: with an `output_schema`, the request carries `output_config.format`
(`{"type": "json_schema", "schema": ...}`), Anthropic's structured outputs, which constrain
decoding to the schema. Prefilling the assistant turn with `{` is not used: current models
reject a prefilled assistant turn with a 400. With `output_format: json` and no schema, the
model is asked by the system prompt (the engine adds the instruction) and the engine's parse
makes a reply that is not JSON the agent's error. Option `structured_output: false` leaves
the schema to the prompt, for models without structured outputs.

Options (`options_schema`): `top_p`, `top_k`, `stop_sequences`, `structured_output`, and
`prompt_caching` (true: top-level `cache_control` of type `ephemeral`, Anthropic's automatic
prompt caching, whose reads and writes show in usage).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from llm_orc.providers.base import (
    FinishReason,
    GenerationRequest,
    ProviderError,
    TextSink,
    TokenUsage,
    estimate_tokens,
)
from llm_orc.providers.cloud_credentials import NO_KEY, credential_for
from llm_orc.providers.streaming import (
    Endpoint,
    StreamedReply,
    StreamingProvider,
    sdk_read_timeout,
)

DEFAULT_MAX_TOKENS = 4096
"""`max_tokens` sent when neither the profile nor the agent sets one (the API requires it)."""

CONNECT_TIMEOUT_SECONDS = 10.0

CREDENTIAL_PROVIDER = "anthropic"
OFFICIAL_HOST = "api.anthropic.com"

_FINISH: dict[str, FinishReason] = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "max_tokens": FinishReason.LENGTH,
    "model_context_window_exceeded": FinishReason.LENGTH,
    "refusal": FinishReason.CONTENT_FILTER,
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
            "description": "Texts that end the reply (stop reason `stop_sequence`).",
        },
        "structured_output": {
            "type": "boolean",
            "description": "With an output_schema: constrain decoding to it through "
            "output_config.format (default true; false for models without structured outputs).",
        },
        "prompt_caching": {
            "type": "boolean",
            "description": "Ask for automatic prompt caching (cache_control ephemeral).",
        },
    },
    "additionalProperties": False,
}


class AnthropicProvider(StreamingProvider):
    """Claude models over the Anthropic Messages API; see the module docstring."""

    name: ClassVar[str] = "anthropic"
    options_schema: ClassVar[dict[str, Any] | None] = OPTIONS_SCHEMA
    sdk_modules: ClassVar[tuple[str, ...]] = ("anthropic",)
    install_hint: ClassVar[str] = (
        "provider 'anthropic' needs the anthropic SDK: pip install 'llm-orc[anthropic]'"
    )

    def endpoint(self, request: GenerationRequest) -> Endpoint:
        credential = credential_for(CREDENTIAL_PROVIDER, request, OFFICIAL_HOST, "Anthropic")
        return Endpoint(request.base_url, credential)

    def reply(self, request: GenerationRequest, on_text: TextSink) -> StreamedReply:
        return _Reply(request, on_text)

    def make_client(self, endpoint: Endpoint, request: GenerationRequest) -> Any:
        anthropic = self.sdk("anthropic")
        credential = endpoint.credential
        key = credential.secret.reveal() if credential is not None else NO_KEY
        return anthropic.AsyncAnthropic(api_key=key, base_url=endpoint.url, max_retries=0)

    @asynccontextmanager
    async def open_stream(self, client: Any, request: GenerationRequest) -> AsyncIterator[Any]:
        stream = await client.messages.create(
            **_parameters(request), stream=True, timeout=_timeout(request)
        )
        async with stream:
            yield stream

    def map_error(
        self,
        exc: Exception,
        request: GenerationRequest,
        endpoint: Endpoint,
        usage: TokenUsage | None,
    ) -> ProviderError:
        from llm_orc.providers.anthropic_errors import map_error

        return map_error(
            exc,
            model=request.model,
            credential=endpoint.credential,
            base_url=endpoint.url,
            usage=usage,
        )


def _parameters(request: GenerationRequest) -> dict[str, Any]:
    """The Messages API arguments for REQUEST."""
    options = request.options
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": [{"role": "user", "content": request.prompt}],
    }
    if request.system_prompt:
        params["system"] = request.system_prompt
    sampling = {"temperature": request.temperature}
    sampling.update({key: options.get(key) for key in ("top_p", "top_k")})
    extra = {key: value for key, value in sampling.items() if value is not None}
    if extra:  # gone from the SDK's signature since 1.0; the API takes them on older models
        params["extra_body"] = extra
    if options.get("stop_sequences") is not None:
        params["stop_sequences"] = options["stop_sequences"]
    if request.json_schema is not None and options.get("structured_output", True):
        params["output_config"] = {"format": {"type": "json_schema", "schema": request.json_schema}}
    if options.get("prompt_caching"):
        params["cache_control"] = {"type": "ephemeral"}
    return params


def _timeout(request: GenerationRequest) -> Any:
    """The SDK's timeout: a read waits the idle timeout (else the whole attempt's), plus margin."""
    import httpx2

    read = sdk_read_timeout(request)
    return httpx2.Timeout(read, connect=min(CONNECT_TIMEOUT_SECONDS, read))


class _Reply(StreamedReply):
    """The reply being streamed: its text, usage so far and stop reason."""

    incomplete: ClassVar[str] = "no message_stop"

    def __init__(self, request: GenerationRequest, on_text: TextSink) -> None:
        super().__init__(request, on_text)
        self.started = False
        self.delta_seen = False
        self.stopped = False
        self.stop_reason: str | None = None
        self.input_tokens = 0
        self.cache_read = 0
        self.cache_write = 0
        self.output_tokens = 0
        self.reasoning = 0

    def take(self, event: Any) -> None:
        """Fold one stream event into the reply, sending text on as it comes."""
        kind = getattr(event, "type", None)
        if kind == "message_start":
            self.started = True
            message = event.message
            self.model = getattr(message, "model", None) or self.model
            self._count(message.usage)
        elif kind == "content_block_delta":
            delta = event.delta
            if getattr(delta, "type", None) == "text_delta" and delta.text:
                self.send(delta.text)
        elif kind == "message_delta":
            self.delta_seen = True
            self.stop_reason = getattr(event.delta, "stop_reason", None) or self.stop_reason
            if getattr(event, "usage", None) is not None:
                self._count(event.usage)
        elif kind == "message_stop":
            self.stopped = True

    def _count(self, usage: Any) -> None:
        """Take the counts USAGE reports (message_delta's are cumulative; absent ones stay)."""
        if usage.input_tokens is not None:
            self.input_tokens = usage.input_tokens
        if usage.cache_read_input_tokens is not None:
            self.cache_read = usage.cache_read_input_tokens
        if usage.cache_creation_input_tokens is not None:
            self.cache_write = usage.cache_creation_input_tokens
        if usage.output_tokens is not None:
            self.output_tokens = usage.output_tokens
        details = getattr(usage, "output_tokens_details", None)
        if details is not None and details.thinking_tokens is not None:
            self.reasoning = details.thinking_tokens

    def usage_so_far(self) -> TokenUsage | None:
        """What a failed attempt used: reported counts, the output estimated if not final."""
        if not self.started and not self.pieces:
            return None
        estimated = not self.started or not self.delta_seen
        input_tokens = self._input_total()
        if not self.started:
            input_tokens = estimate_tokens(self.request.system_prompt + self.request.prompt)
        output = self.output_tokens
        if not self.delta_seen:
            output = max(output, estimate_tokens(self.text))
        return TokenUsage(
            input_tokens, output, self.cache_read, self.cache_write, self.reasoning, estimated
        )

    def _input_total(self) -> int:
        return self.input_tokens + self.cache_read + self.cache_write

    def tokens(self) -> TokenUsage:
        """The counts the stream reported (a finished stream reports them all)."""
        return TokenUsage(
            self._input_total(),
            self.output_tokens,
            self.cache_read,
            self.cache_write,
            self.reasoning,
        )

    def finish_reason(self) -> FinishReason | None:
        """The stop reason's finish reason; None (incomplete) until `message_stop`."""
        if not self.stopped:
            return None
        return _FINISH.get(self.stop_reason or "", FinishReason.OTHER)
