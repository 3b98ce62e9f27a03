"""Names an ensemble or a profiles file refers to: profiles, providers and template placeholders."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llm_orc.validation.diagnostics import Diagnostic, Severity
from llm_orc.validation.graph_checks import AgentView
from llm_orc.validation.wording import did_you_mean, near_miss
from llm_orc.validation.yaml_index import Path, SourceMap

if TYPE_CHECKING:
    from llm_orc.config.profiles import ModelProfile

PLACEHOLDER = re.compile(r"\{(input|deps\.([^{}]+))\}")
"""`{input}` and `{deps.NAME}`; every other brace in a prompt_template is literal text.

`llm_orc.execution.prompting` substitutes with this same pattern, so what is checked here is
exactly what gets substituted there.
"""
_PROFILE_KEYS = ("model_profile", "fallback_model_profile")
_LISTED = 10


def profile_diagnostics(
    agents: Sequence[AgentView],
    source: SourceMap,
    profiles: Mapping[str, ModelProfile],
    providers: Collection[str] | None,
    unloaded: Sequence[str] = (),
) -> list[Diagnostic]:
    """unknown-profile for agents' profile names; unknown-provider for the profiles they use.

    UNLOADED: configuration files whose profiles could not be loaded, named in unknown-profile
    messages (so an unreadable config.yaml is not mistaken for a misspelt name)."""
    out: list[Diagnostic] = []
    for agent in agents:
        for key in _PROFILE_KEYS:
            name = agent.body.get(key)
            if not isinstance(name, str):
                continue
            at = agent.path(key)
            profile = profiles.get(name)
            if profile is None:
                text = f"unknown model profile '{name}'" + _known(name, profiles)
                if unloaded:
                    text += f" — not loaded because of errors: {_listing(unloaded)}"
                out.append(Diagnostic("unknown-profile", text, source.value_range(at)))
                continue
            # On its own profile an agent's `provider` wins; on the fallback it is not applied.
            overridden = key == "model_profile" and isinstance(agent.body.get("provider"), str)
            provider = profile.provider
            if providers is None or overridden or provider is None or provider in providers:
                continue
            text = (
                f"profile '{name}' uses provider '{provider}', which is not available here "
                f"(available: {_listing(providers)})"
            )
            out.append(Diagnostic("unknown-provider", text, source.value_range(at)))
    return out


def fallback_diagnostics(
    agents: Sequence[AgentView], source: SourceMap, profiles: Mapping[str, ModelProfile]
) -> list[Diagnostic]:
    """fallback-cycle (warning): an agent's fallback_model_profile that leads back to the profile
    it runs on (directly, or through the fallbacks of the profiles it names)."""
    out: list[Diagnostic] = []
    for agent in agents:
        fallback = agent.body.get("fallback_model_profile")
        own = agent.body.get("model_profile", "default")
        if not isinstance(fallback, str) or not isinstance(own, str):
            continue
        chain = [own, fallback]
        while chain[-1] != own and chain.count(chain[-1]) == 1:
            profile = profiles.get(chain[-1])
            if profile is None or not profile.fallback_model_profile:
                break
            chain.append(profile.fallback_model_profile)
        if chain[-1] != own:
            continue
        text = "fallback cycle: " + " -> ".join(chain)
        if len(chain) == 2:
            text += (
                f"; agent '{agent.name}' falls back to the profile it runs on, so never falls back"
            )
        else:
            text += "; each fallback is tried once and never followed further"
        at = agent.path("fallback_model_profile")
        out.append(Diagnostic("fallback-cycle", text, source.value_range(at), Severity.WARNING))
    return out


def provider_diagnostics(
    agents: Sequence[AgentView], source: SourceMap, providers: Collection[str]
) -> list[Diagnostic]:
    """unknown-provider for agents' own `provider` values."""
    return [
        _unknown_provider(agent.body["provider"], agent.path("provider"), source, providers)
        for agent in agents
        if isinstance(agent.body.get("provider"), str) and agent.body["provider"] not in providers
    ]


def profiles_file_provider_diagnostics(
    data: Any, source: SourceMap, providers: Collection[str]
) -> list[Diagnostic]:
    """unknown-provider in a profiles file: one profile with `name:`, or `model_profiles:`."""
    if not isinstance(data, dict):
        return []
    entries: list[tuple[Path, Any]] = []
    if "name" in data:
        entries.append(((), data))
    elif isinstance(data.get("model_profiles"), dict):
        entries.extend(
            (("model_profiles", name), body) for name, body in data["model_profiles"].items()
        )
    return [
        _unknown_provider(body["provider"], (*at, "provider"), source, providers)
        for at, body in entries
        if isinstance(body, dict)
        and isinstance(body.get("provider"), str)
        and body["provider"] not in providers
    ]


def placeholder_diagnostics(agents: Sequence[AgentView], source: SourceMap) -> list[Diagnostic]:
    """unknown-placeholder: `{deps.NAME}` in a prompt_template where NAME is not in depends_on."""
    names = {agent.name for agent in agents}
    out: list[Diagnostic] = []
    for agent in agents:
        template = agent.body.get("prompt_template")
        if not isinstance(template, str) or "{" not in template:
            continue
        out += _misspelt_placeholders(template, agent.path("prompt_template"), source)
        if "{deps." not in template:
            continue
        deps = [dep for dep, _ in agent.deps]
        reported: set[str] = set()
        for match in PLACEHOLDER.finditer(template):
            name = match.group(2)
            if name is None or name in deps or name in reported:
                continue
            reported.add(name)
            if name in names:
                hint = f"; add '{name}' to depends_on to use its output"
            else:
                hint = did_you_mean(name, deps) or " and is not an agent of this ensemble"
            out.append(
                Diagnostic(
                    "unknown-placeholder",
                    f"{match.group(0)} is not replaced: '{name}' is not in this agent's "
                    f"depends_on{hint}",
                    source.text_range(agent.path("prompt_template"), match.group(0)),
                    Severity.WARNING,
                )
            )
    return out


_BRACED = re.compile(r"\{([^{}\s]{1,64})\}")


def _misspelt_placeholders(template: str, at: Path, source: SourceMap) -> list[Diagnostic]:
    """unknown-placeholder (warning) for a near miss of `{input}` or `{deps.NAME}` (`{inptu}`,
    `{dep.a}`): other braces are literal text, but these were meant to be replaced. A case
    variant (`{Input}`) is taken as written on purpose."""
    out: list[Diagnostic] = []
    seen: set[str] = set()
    for match in _BRACED.finditer(template):
        written = match.group(0)
        if PLACEHOLDER.fullmatch(written) or written in seen:
            continue
        head, dot, rest = match.group(1).partition(".")
        if dot and rest and head != "deps" and near_miss(head, ["deps"]):
            meant = "{deps." + rest + "}"
        elif not dot and head.lower() != "input" and near_miss(head, ["input"]):
            meant = "{input}"
        else:
            continue
        seen.add(written)
        out.append(
            Diagnostic(
                "unknown-placeholder",
                f"{written} is not a placeholder and is left as written; did you mean '{meant}'?",
                source.text_range(at, written),
                Severity.WARNING,
            )
        )
    return out


def _unknown_provider(
    name: str, at: Path, source: SourceMap, providers: Collection[str]
) -> Diagnostic:
    text = (
        f"provider '{name}' is not available here (available: {_listing(providers)})"
        f"{did_you_mean(name, providers)}"
    )
    return Diagnostic("unknown-provider", text, source.value_range(at))


def _known(name: str, known: Collection[str]) -> str:
    """`; did you mean 'x'?` when one is close, else the list of known names."""
    return did_you_mean(name, known) or f" (known: {_listing(known)})"


def _listing(names: Collection[str]) -> str:
    ordered = sorted(names)
    if len(ordered) > _LISTED:
        return ", ".join(ordered[:_LISTED]) + f", … ({len(ordered)} in all)"
    return ", ".join(ordered) if ordered else "none"
