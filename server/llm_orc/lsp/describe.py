"""Markdown the editor shows for keys, profiles and agents (hover and completion documentation)."""

from __future__ import annotations

from typing import Any

from llm_orc.config.profiles import ModelProfile
from llm_orc.lsp import schema_paths
from llm_orc.lsp.provider_options import as_yaml, option_values, type_summary
from llm_orc.lsp.yaml_context import AgentInfo
from llm_orc.validation.yaml_index import Path

_PROMPT_CHARS = 120


def key_markdown(path: Path) -> str | None:
    """`**key**`, the schema's description and, when listed, the allowed values."""
    description = schema_paths.description_of(path)
    if description is None:
        return None
    text = f"**{path[-1]}**\n\n{description}"
    values = schema_paths.enum_at(path)
    if values:
        text += "\n\nOne of: " + ", ".join(f"`{value}`" for value in values)
    return text


def option_markdown(provider: str, name: str, prop: dict[str, Any]) -> str:
    """An option from its provider's schema: description, type and bounds, default, values."""
    lines = [f"**{name}** (option of provider `{provider}`)"]
    description = prop.get("description")
    if isinstance(description, str) and description.strip():
        lines += ["", description.strip()]
    lines += ["", f"- type: {type_summary(prop)}"]
    if "default" in prop:
        lines.append(f"- default: `{as_yaml(prop['default'])}`")
    values = [value for value in option_values(prop) if not isinstance(value, bool)]
    if values:
        lines.append("- one of: " + ", ".join(f"`{as_yaml(value)}`" for value in values))
    return "\n".join(lines)


def _price(value: float | None) -> str:
    return "not set" if value is None else f"${value:g}"


def profile_markdown(profile: ModelProfile) -> str:
    """A profile as resolved: model, provider, prices and where it is defined."""
    lines = [
        f"**{profile.name}** (model profile)",
        "",
        f"- model: `{profile.model or 'not set'}`",
        f"- provider: `{profile.provider or 'not set'}`",
        f"- price per million tokens: {_price(profile.price_per_million_input_tokens)} input, "
        f"{_price(profile.price_per_million_output_tokens)} output",
    ]
    if profile.fallback_model_profile:
        lines.append(f"- falls back to: `{profile.fallback_model_profile}`")
    lines.append(f"- defined in: `{profile.source}`")
    return "\n".join(lines)


def profile_detail(profile: ModelProfile) -> str:
    """One line for a completion item: `model (provider)`."""
    return f"{profile.model or '?'} ({profile.provider or '?'})"


def _first_line(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    line = text.strip().splitlines()[0].strip()
    return line if len(line) <= _PROMPT_CHARS else line[: _PROMPT_CHARS - 1] + "…"


def agent_markdown(agent: AgentInfo) -> str:
    """An agent's summary: how it runs, what it depends on, how its system prompt starts."""
    body = agent.body
    lines = [f"**{agent.name}** (agent)", ""]
    if isinstance(body.get("model_profile"), str):
        lines.append(f"- profile: `{body['model_profile']}`")
    elif isinstance(body.get("model"), str):
        lines.append(f"- model: `{body['model']}` ({body.get('provider', 'no provider')})")
    else:
        lines.append("- profile: `default`")
    deps = ", ".join(f"`{name}`" for name, _ in agent.deps) or "nothing"
    lines.append(f"- depends on: {deps}")
    prompt = _first_line(body.get("system_prompt"))
    if prompt is not None:
        lines.append(f"- system prompt: {prompt}")
    return "\n".join(lines)
