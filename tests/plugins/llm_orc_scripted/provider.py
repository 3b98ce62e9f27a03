"""The `scripted` provider: deterministic replies for tests and benchmarks (a test double,
registered through the `llm_orc.providers` entry point of this folder's dist-info; never part
of an installed llm-orc).

Nothing is random and nothing is loaded: a generation is a template substitution, an optional
`asyncio.sleep`, and a few `on_text` calls, so thousands can run concurrently on one event loop.

Behaviour comes from `request.options` (a profile's or agent's `options`):

`reply`
    Reply template (default ``"{agent}: ok"``). ``{agent}``, ``{input}`` (the prompt),
    ``{attempt}`` and ``{model}`` are substituted in one pass; no other braces are touched
    (this is not `str.format`, and text substituted in is never substituted again).
`replies`
    Mapping of agent name to reply template; overrides `reply` for that agent.
`echo_prompt`
    True: the reply is exactly the prompt (overrides `reply`/`replies`).
`echo_system`
    True: the reply is exactly the system prompt (overrides `reply`/`replies`).
`latency_seconds`
    Total simulated latency (default 0), spread evenly over the streamed pieces.
`latency_by_agent`
    Mapping of agent name to latency; overrides `latency_seconds` for that agent.
`chunks`
    Stream the reply in this many pieces of near-equal length (default: one piece per
    whitespace-separated word, each keeping the whitespace that follows it).
`fail_attempts`
    The first N attempts (``request.attempt <= N``) raise `TransientProviderError`.
`fail_agents`
    Agent names whose every attempt raises a permanent `ProviderError("scripted failure")`.
`error`
    Every attempt raises a permanent `ProviderError` with this message.
`hang`
    True: never reply (wait on an event nobody sets) until cancelled.
`finish_reason`
    The generation's finish reason (default ``stop``), e.g. ``length`` for a reply cut at
    max_tokens.

Failures (`error`, then `fail_agents`, then `fail_attempts`) are raised after the agent's
latency has elapsed, as a real call would fail after taking its time; `hang` waits at once.

Token counts: words count as tokens. Input tokens are the whitespace-separated words of the
system prompt plus the prompt; output tokens are the words of the reply.

Cost: free (`free_of_charge`), unless a profile sets `price_per_million_*` prices.

`json_output` changes nothing: the reply is whatever the script says (script JSON replies to
test JSON handling).
No option reads or writes files: an ensemble can only change what the provider replies.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from functools import lru_cache
from itertools import pairwise
from typing import Any, ClassVar

from llm_orc.providers.base import (
    FinishReason,
    Generation,
    GenerationRequest,
    ProviderError,
    TextSink,
    TransientProviderError,
)

DEFAULT_REPLY = "{agent}: ok"

_FAILURES = frozenset({"error", "fail_agents", "fail_attempts"})
"""The options that can make an attempt fail."""
_PLACEHOLDER = re.compile(r"\{(agent|input|attempt|model)\}")
_WORD_BOUNDARY = re.compile(r"(?<=\s)(?=\S)")


class ScriptedProvider:
    """Replies as its options script it; see the module docstring for the options."""

    name: ClassVar[str] = "scripted"
    default_max_concurrency: ClassVar[int | None] = None
    free_of_charge: ClassVar[bool] = True
    """Nothing is billed: its cost is 0 unless a profile sets prices (`llm_orc.pricing`)."""

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        options = request.options
        if options.get("hang"):
            await asyncio.Event().wait()

        latency = _latency(options, request.agent)
        # A benchmark runs thousands of agents through here: the usual case makes few calls.
        failure = _failure(options, request) if not _FAILURES.isdisjoint(options) else None
        if failure is not None:
            if latency > 0:
                await asyncio.sleep(latency)
            raise failure

        text = _reply_text(options, request)
        pieces = _split(text, options.get("chunks"))
        pause = latency / len(pieces) if latency > 0 and pieces else 0.0
        for piece in pieces:
            if pause:
                await asyncio.sleep(pause)
            on_text(piece)
        if latency > 0 and not pieces:
            await asyncio.sleep(latency)

        return Generation(
            text=text,
            input_tokens=len(request.system_prompt.split()) + len(request.prompt.split()),
            output_tokens=len(text.split()),
            model=request.model,
            finish_reason=_finish_reason(options.get("finish_reason", "stop")),
        )


def _finish_reason(value: Any) -> FinishReason:
    return FinishReason.STOP if value == "stop" else FinishReason(value)


def _number(value: Any, key: str) -> float:
    if type(value) is float or type(value) is int:  # the usual case, checked first: it is cheap
        if value < 0:
            raise ProviderError(f"scripted option '{key}' must not be negative, not {value!r}")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProviderError(f"scripted option '{key}' must be a number, not {value!r}")
    if value < 0:
        raise ProviderError(f"scripted option '{key}' must not be negative, not {value!r}")
    return float(value)


def _latency(options: Mapping[str, Any], agent: str) -> float:
    by_agent = options.get("latency_by_agent")
    if by_agent is not None and isinstance(by_agent, Mapping) and agent in by_agent:
        return _number(by_agent[agent], "latency_by_agent")
    return _number(options.get("latency_seconds", 0), "latency_seconds")


def _failure(options: Mapping[str, Any], request: GenerationRequest) -> ProviderError | None:
    error = options.get("error")
    if error is not None:
        return ProviderError(str(error))
    fail_agents = options.get("fail_agents") or ()
    if isinstance(fail_agents, str):
        fail_agents = (fail_agents,)
    if request.agent in fail_agents:
        return ProviderError("scripted failure")
    if "fail_attempts" in options and request.attempt <= _number(
        options["fail_attempts"], "fail_attempts"
    ):
        return TransientProviderError(f"scripted transient failure (attempt {request.attempt})")
    return None


def _reply_text(options: Mapping[str, Any], request: GenerationRequest) -> str:
    if options.get("echo_prompt"):
        return request.prompt
    if options.get("echo_system"):
        return request.system_prompt
    template = options.get("reply", DEFAULT_REPLY)
    replies = options.get("replies")
    if replies is not None and isinstance(replies, Mapping) and request.agent in replies:
        template = replies[request.agent]
    if not isinstance(template, str):
        raise ProviderError(f"scripted reply must be a string, not {template!r}")
    if "{" not in template:
        return template
    values = {
        "agent": request.agent,
        "input": request.prompt,
        "attempt": str(request.attempt),
        "model": request.model,
    }
    parts = list(_template_parts(template))
    # parts alternates text and placeholder names: text, name, text, ..., text.
    for index in range(1, len(parts), 2):
        parts[index] = values[parts[index]]
    return "".join(parts)


@lru_cache(maxsize=256)
def _template_parts(template: str) -> tuple[str, ...]:
    """TEMPLATE split at its placeholders, each template once (thousands of agents share one)."""
    return tuple(_PLACEHOLDER.split(template))


def _split(text: str, chunks: Any) -> list[str]:
    """TEXT in streaming pieces: CHUNKS near-equal pieces, or one per word by default."""
    if not text:
        return []
    if chunks is None:
        return _WORD_BOUNDARY.split(text)
    count = int(_number(chunks, "chunks"))
    if count < 1:
        raise ProviderError(f"scripted option 'chunks' must be at least 1, not {chunks!r}")
    count = min(count, len(text))
    if count == 1:
        return [text]
    length = len(text)
    bounds = [i * length // count for i in range(count + 1)]
    return [text[start:end] for start, end in pairwise(bounds)]
