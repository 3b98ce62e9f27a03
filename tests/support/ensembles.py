"""Helpers for scheduler tests: ensembles on the deterministic `scripted` provider."""

from __future__ import annotations

from typing import Any

from llm_orc.config.ensemble import Agent, Ensemble
from llm_orc.config.profiles import ModelProfile, builtin_profiles


def scripted_profiles(**extra: dict[str, Any]) -> dict[str, ModelProfile]:
    """Built-ins plus `fake` (scripted, default options) and any EXTRA scripted profiles."""
    profiles = builtin_profiles()
    profiles["fake"] = ModelProfile(name="fake", model="m", provider="scripted")
    for name, fields in extra.items():
        fields = dict(fields)
        options = fields.pop("options", {})
        profiles[name] = ModelProfile(
            name=name,
            model=fields.pop("model", "m"),
            provider="scripted",
            options=options,
            **fields,
        )
    return profiles


def agent(name: str, *deps: str, profile: str = "fake", **fields: Any) -> Agent:
    return Agent(name=name, model_profile=profile, depends_on=deps, **fields)


def ensemble(*agents: Agent, **fields: Any) -> Ensemble:
    return Ensemble(name="test", agents=agents, **fields)
