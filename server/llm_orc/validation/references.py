"""Names an ensemble or a profiles file refers to: profiles, providers and template placeholders."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llm_orc.config.profiles import SECRET_OPTION
from llm_orc.validation.diagnostics import Diagnostic, Severity
from llm_orc.validation.graph_checks import AgentView
from llm_orc.validation.wording import did_you_mean, near_miss
from llm_orc.validation.yaml_index import Path, SourceMap

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

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
    unavailable: dict[str, str | None] = {}  # asked once per provider, not once per agent
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
            if providers is None or overridden or provider is None:
                continue
            if provider in providers:
                if provider not in unavailable:
                    unavailable[provider] = _unavailable(provider)
                missing = unavailable[provider]
                if missing is not None:
                    text = f"profile '{name}' cannot run here: {missing}"
                    out.append(Diagnostic("provider-unavailable", text, source.value_range(at)))
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
    """unknown-provider and provider-unavailable for agents' own `provider` values."""
    out: list[Diagnostic] = []
    for agent in agents:
        provider = agent.body.get("provider")
        if not isinstance(provider, str):
            continue
        if provider not in providers:
            out.append(_unknown_provider(provider, agent.path("provider"), source, providers))
        elif (missing := _unavailable(provider)) is not None:
            range_ = source.value_range(agent.path("provider"))
            out.append(Diagnostic("provider-unavailable", missing, range_))
    return out


def agent_option_diagnostics(
    agents: Sequence[AgentView],
    source: SourceMap,
    profiles: Mapping[str, ModelProfile] | None,
    providers: Collection[str],
) -> list[Diagnostic]:
    """invalid-option / unknown-option for agents' own `options`, by the schema of the provider
    they run on (their own `provider`, else their profile's)."""
    out: list[Diagnostic] = []
    for agent in agents:
        options = agent.body.get("options")
        if not isinstance(options, dict):
            continue
        provider = agent.body.get("provider")
        if not isinstance(provider, str):
            name = agent.body.get("model_profile", "default")
            profile = profiles.get(name) if profiles and isinstance(name, str) else None
            provider = profile.provider if profile is not None else None
        if isinstance(provider, str) and provider in providers:
            out += option_diagnostics(options, agent.path("options"), provider, source)
        out += key_env_diagnostics(agent.body, agent.path(), source)
    return out


def option_diagnostics(
    options: Mapping[str, Any], at: Path, provider: str, source: SourceMap
) -> list[Diagnostic]:
    """OPTIONS (written at AT) against provider PROVIDER's `options_schema`, when it has one:
    invalid-option (error) for a value it refuses, unknown-option (warning) for a key it does
    not read."""
    from llm_orc.providers.registry import provider_options_schema

    schema = provider_options_schema(provider)
    if schema is None:
        return []
    out: list[Diagnostic] = []
    known = schema.get("properties")
    if isinstance(known, dict) and schema.get("additionalProperties", False) is not True:
        for key in options:
            if key in known:
                continue
            text = (
                f"option '{key}' is not read by provider '{provider}', so it is ignored"
                f"{_known(str(key), known)}"
            )
            out.append(
                Diagnostic("unknown-option", text, source.key_range((*at, key)), Severity.WARNING)
            )
    for error in _options_validator(provider, schema).iter_errors(dict(options)):
        where = (*at, *error.absolute_path)
        if error.validator == "additionalProperties":
            continue  # reported above, key by key
        path = ".".join(str(step) for step in error.absolute_path) or "options"
        text = f"provider '{provider}' option '{path}': {error.message}"
        out.append(Diagnostic("invalid-option", text, source.value_range(where)))
    return out


_OPTION_VALIDATORS: dict[str, tuple[int, Draft202012Validator]] = {}


def _options_validator(provider: str, schema: dict[str, Any]) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # only for options that are written

    cached = _OPTION_VALIDATORS.get(provider)
    if cached is None or cached[0] != id(schema):
        cached = _OPTION_VALIDATORS[provider] = (id(schema), Draft202012Validator(schema))
    return cached[1]


def _unavailable(provider: str) -> str | None:
    from llm_orc.providers.registry import provider_availability

    return provider_availability(provider)


def profiles_file_provider_diagnostics(
    data: Any, source: SourceMap, providers: Collection[str]
) -> list[Diagnostic]:
    """unknown-provider, provider-unavailable and the option checks in a profiles file: one
    profile with `name:`, or `model_profiles:`."""
    if not isinstance(data, dict):
        return []
    entries: list[tuple[Path, Any]] = []
    if "name" in data:
        entries.append(((), data))
    elif isinstance(data.get("model_profiles"), dict):
        entries.extend(
            (("model_profiles", name), body) for name, body in data["model_profiles"].items()
        )
    out: list[Diagnostic] = []
    for at, body in entries:
        provider = body.get("provider") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(provider, str):
            continue
        if provider not in providers:
            out.append(_unknown_provider(provider, (*at, "provider"), source, providers))
            continue
        missing = _unavailable(provider)
        if missing is not None:
            range_ = source.value_range((*at, "provider"))
            out.append(Diagnostic("provider-unavailable", missing, range_))
        options = body.get("options")
        if isinstance(options, dict):
            out += option_diagnostics(options, (*at, "options"), provider, source)
        out += key_env_diagnostics(body, at, source)
    return out


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def key_env_diagnostics(body: Mapping[str, Any], at: Path, source: SourceMap) -> list[Diagnostic]:
    """secret-in-profile: an `api_key_env` that is not a variable name (a key pasted in), or an
    option named like a credential. The messages never repeat the value."""
    out: list[Diagnostic] = []
    name = body.get("api_key_env")
    if isinstance(name, str) and not _ENV_NAME.fullmatch(name):
        out.append(
            Diagnostic(
                "secret-in-profile",
                "api_key_env takes the NAME of an environment variable (e.g. OPENAI_API_KEY), "
                "not the key itself; put the key in that variable",
                source.value_range((*at, "api_key_env")),
            )
        )
    options = body.get("options")
    if isinstance(options, dict):
        for key in options:
            if isinstance(key, str) and SECRET_OPTION.search(key):
                out.append(
                    Diagnostic(
                        "secret-in-profile",
                        f"option '{key}' looks like a credential: keys do not belong in "
                        "options (they are shown and passed around); set api_key_env to the "
                        "environment variable that holds it",
                        source.value_range((*at, "options", key)),
                    )
                )
    return out


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
