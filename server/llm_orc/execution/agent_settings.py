"""What an agent actually runs with: its profile's settings with the agent's own on top."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from llm_orc.config.ensemble import Agent
from llm_orc.config.profiles import ModelProfile
from llm_orc.providers.base import TokenUsage

T = TypeVar("T")

DEFAULT_SYSTEM_PROMPT = "You are {name}. Provide helpful analysis."


@dataclass(frozen=True, slots=True)
class AgentSettings:
    profile: str
    model: str
    provider: str
    system_prompt: str
    temperature: float | None
    max_tokens: int | None
    timeout_seconds: float | None
    options: dict[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    price_per_million_input_tokens: float = 0.0
    price_per_million_output_tokens: float = 0.0
    profile_max_concurrency: int | None = None
    api_key_env: str | None = None
    idle_timeout_seconds: float | None = None

    def cost(self, tokens: TokenUsage) -> float | None:
        """USD for TOKENS at the profile's prices (cache tokens at the input price); None when
        unknown."""
        return (
            tokens.input_tokens * self.price_per_million_input_tokens
            + tokens.output_tokens * self.price_per_million_output_tokens
        ) / 1_000_000


class SettingsError(Exception):
    """The agent's model or provider cannot be determined (caught by validation first)."""


def resolve_settings(
    agent: Agent, profile: ModelProfile | None, *, fallback: bool = False
) -> AgentSettings:
    """Merge PROFILE with AGENT's own fields (agent wins).

    On a fallback profile the agent's own `model`/`provider` are not applied: running the same
    model again is not a fallback.
    """
    own_model = None if fallback else agent.model
    own_provider = None if fallback else agent.provider
    model = own_model or (profile.model if profile else None)
    provider = own_provider or (profile.provider if profile else None)
    if not model or not provider:
        name = profile.name if profile else agent.profile_name
        raise SettingsError(f"agent '{agent.name}': profile '{name}' names no model or provider")
    system_prompt = (
        agent.system_prompt
        or (profile.system_prompt if profile else None)
        or DEFAULT_SYSTEM_PROMPT.format(name=agent.name)
    )
    options = {**(profile.options if profile else {}), **agent.options}
    return AgentSettings(
        profile=profile.name if profile else "",
        model=model,
        provider=provider,
        system_prompt=system_prompt,
        temperature=_first(agent.temperature, profile.temperature if profile else None),
        max_tokens=_first(agent.max_tokens, profile.max_tokens if profile else None),
        timeout_seconds=_first(agent.timeout_seconds, profile.timeout_seconds if profile else None),
        options=options,
        base_url=profile.base_url if profile else None,
        price_per_million_input_tokens=(profile.price_per_million_input_tokens or 0.0)
        if profile
        else 0.0,
        price_per_million_output_tokens=(profile.price_per_million_output_tokens or 0.0)
        if profile
        else 0.0,
        profile_max_concurrency=profile.max_concurrency if profile else None,
        api_key_env=profile.api_key_env if profile else None,
        idle_timeout_seconds=profile.idle_timeout_seconds if profile else None,
    )


def _first(*values: T | None) -> T | None:
    for value in values:
        if value is not None:
            return value
    return None
