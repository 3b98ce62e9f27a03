"""The `metered` provider: a small third-party plugin (entry point group `llm_orc.providers`
in this folder's dist-info) whose models are priced like a cloud provider's.

It declares `price_table_provider = "anthropic"`: llm-orc prices its models by that provider's
entries in the price table (a model the table does not know costs unknown). It replies
`options["reply"]` (default ``"metered reply"``) in one piece and reports the token counts
`options` give (`input_tokens`, `output_tokens`, `cache_read_tokens`, `cache_write_tokens`;
defaults: the words of the prompts and of the reply, no cache). Nothing is sent anywhere.
"""

from __future__ import annotations

from typing import Any, ClassVar

from llm_orc.providers.base import Generation, GenerationRequest, ProviderError, TextSink


class MeteredProvider:
    """Replies as scripted and reports the counts it is told to."""

    name: ClassVar[str] = "metered"
    default_max_concurrency: ClassVar[int | None] = None
    price_table_provider: ClassVar[str] = "anthropic"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "reply": {"type": "string"},
            "input_tokens": {"type": "integer", "minimum": 0},
            "output_tokens": {"type": "integer", "minimum": 0},
            "cache_read_tokens": {"type": "integer", "minimum": 0},
            "cache_write_tokens": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    }

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        options = request.options
        text = options.get("reply", "metered reply")
        if not isinstance(text, str):
            raise ProviderError("metered option 'reply' must be a string")
        on_text(text)
        prompt_words = len(request.system_prompt.split()) + len(request.prompt.split())
        return Generation(
            text=text,
            input_tokens=_count(options, "input_tokens", prompt_words),
            output_tokens=_count(options, "output_tokens", len(text.split())),
            model=request.model,
            cache_read_tokens=_count(options, "cache_read_tokens", 0),
            cache_write_tokens=_count(options, "cache_write_tokens", 0),
        )


def _count(options: dict[str, Any], key: str, default: int) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProviderError(f"metered option '{key}' must be a count, not {value!r}")
    return value
