"""What a profile needs before it can run, checked: provider installed, credentials found,
endpoint reachable (a short, bounded TCP probe), model priced. `llm-orc providers` prints it.

Nothing here ever reveals a key: a credential is reported by where it was found, and an
endpoint by scheme, host and port only (a URL can carry a key in its query).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from llm_orc.config.profiles import ModelProfile
from llm_orc.credentials.lookup import STANDARD_ENV, credential_variables, find_credential
from llm_orc.providers.registry import provider_availability, provider_class

PROBE_SECONDS = 3.0
"""The longest one endpoint probe may take."""

_DEFAULT_ENDPOINTS = {
    "anthropic": "https://api.anthropic.com",
    "anthropic-api": "https://api.anthropic.com",
    "google": "https://generativelanguage.googleapis.com",
    "google-gemini": "https://generativelanguage.googleapis.com",
    "gemini": "https://generativelanguage.googleapis.com",
    "openai-compatible": "https://api.openai.com",
    "openai": "https://api.openai.com",
}
_IN_PROCESS = frozenset({"local"})
_EXTRAS = {
    "local": "local",
    "openai-compatible": "openai",
    "ollama": "ollama",
    "anthropic": "anthropic",
    "anthropic-api": "anthropic",
    "google": "google",
    "google-gemini": "google",
    "gemini": "google",
}
"""Built-in provider -> the llm-orc extra that installs what it needs (`pip install
'llm-orc[EXTRA]'`); a plugin's provider comes with its own package."""

OK, WARN, FAIL, SKIP = "ok", "warn", "FAIL", "skip"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: its state (ok, warn, FAIL, skip), what, and what to do."""

    state: str
    topic: str
    text: str


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the credentials check looked at: variable names and where a key was found, never
    the key."""

    needed: bool = False
    found: bool | None = None
    """None when nothing was looked for."""
    variables: tuple[str, ...] = ()
    """The environment variables looked at (or that would hold a key)."""
    found_in: str | None = None
    """Where the key was found (`$NAME`, or a credential store's name)."""


@dataclass(slots=True)
class ProfileReport:
    """Every check of one profile, and the facts behind them (for `providers -o json`)."""

    profile: ModelProfile
    used_by: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    endpoint: str | None = None
    """The `scheme://host:port` to probe, or None (in process, or none known)."""
    extra: str | None = None
    """The llm-orc extra that installs the provider (None: not a built-in provider)."""
    installed: bool = False
    """The provider is known here and its SDK importable."""
    credentials: Credentials = field(default_factory=Credentials)
    reachable: bool | None = None
    """The endpoint answered (None: not probed, or there is none to probe)."""
    model_known: bool | None = None
    """The model was found (the embedded model's file); None: not checked."""
    price_known: bool = False

    @property
    def usable(self) -> bool:
        return not any(check.state == FAIL for check in self.checks)


def profiles_used(ensembles: Iterable[tuple[str, list[str]]]) -> dict[str, list[str]]:
    """Profile name -> the ensembles that use it, from (ensemble, its profile names) pairs."""
    used: dict[str, list[str]] = {}
    for ensemble, names in ensembles:
        for name in dict.fromkeys(names):
            used.setdefault(name, []).append(ensemble)
    return used


def check_profile(profile: ModelProfile, environ: dict[str, str] | None = None) -> ProfileReport:
    """Every check but the endpoint probe (see `probe_all`)."""
    report = ProfileReport(profile)
    env = dict(os.environ) if environ is None else environ
    provider = profile.provider
    if not provider or not profile.model:
        missing = "a provider" if not provider else "a model"
        report.checks.append(Check(FAIL, "profile", f"names no {missing}: add one"))
        return report
    report.extra = _EXTRAS.get(provider)
    installed = _installed(provider)
    report.installed = installed.state == OK
    report.checks.append(installed)
    report.credentials, credentials = _credentials(profile, provider, env)
    report.checks.append(credentials)
    report.endpoint, endpoint_check = _endpoint(profile, provider, env)
    if endpoint_check is not None:
        report.reachable = False if endpoint_check.state == FAIL else None
        report.checks.append(endpoint_check)
    model_check = _model(provider, profile.model)
    if model_check is not None:
        report.model_known = model_check.state == OK
        report.checks.append(model_check)
    price = _price(profile)
    report.price_known = price.state == OK
    report.checks.append(price)
    return report


def _installed(provider: str) -> Check:
    if provider_class(provider) is None:
        return Check(
            FAIL,
            "provider",
            f"'{provider}' is not a provider here: install the package that provides it",
        )
    missing = provider_availability(provider)
    if missing is not None:
        return Check(FAIL, "provider", missing)
    return Check(OK, "provider", f"'{provider}' installed")


def _credentials(
    profile: ModelProfile, provider: str, env: dict[str, str]
) -> tuple[Credentials, Check]:
    api_key_env = getattr(profile, "api_key_env", None)
    variables = credential_variables(provider, api_key_env)
    if not variables:
        return Credentials(), Check(OK, "credentials", "none needed")
    if (
        provider in ("openai-compatible", "openai")
        and not api_key_env
        and profile.base_url is not None
        and "api.openai.com" not in profile.base_url
    ):  # OPENAI_API_KEY goes to OpenAI only: a server of your own is given a key by api_key_env
        text = "none needed (set api_key_env if your server wants one)"
        return Credentials(variables=variables), Check(OK, "credentials", text)
    found = find_credential(provider, api_key_env, environ=env)
    names = " or ".join(f"${name}" for name in variables)
    optional = provider in STANDARD_ENV and not api_key_env and profile.base_url is not None
    if found is not None:
        where = _shown_source(found.source)
        facts = Credentials(not optional, True, variables, where)
        return facts, Check(OK, "credentials", f"found in {where}")
    if optional:  # an OpenAI-compatible server of your own may need no key
        text = f"none found in {names} (fine if the server needs none)"
        return Credentials(False, False, variables), Check(WARN, "credentials", text)
    missing = Check(FAIL, "credentials", f"not found: set {names}")
    return Credentials(True, False, variables), missing


def _shown_source(source: str) -> str:
    prefix = "environment variable "
    return f"${source.removeprefix(prefix)}" if source.startswith(prefix) else source


def _endpoint(
    profile: ModelProfile, provider: str, env: dict[str, str]
) -> tuple[str | None, Check | None]:
    url = profile.base_url
    if url is None and provider == "ollama":
        url = env.get("OLLAMA_HOST") or "http://127.0.0.1:11434"
    if url is None:
        url = _DEFAULT_ENDPOINTS.get(provider)
    if url is None:
        cls = provider_class(provider)
        declared = getattr(cls, "default_base_url", None) if cls is not None else None
        url = declared if isinstance(declared, str) else None
    if url is None:
        where = "runs in this process" if provider in _IN_PROCESS else "none declared"
        return None, Check(OK, "endpoint", f"none ({where})")
    target = _host_port(url)
    if target is None:
        return None, Check(FAIL, "endpoint", "base_url is not an http(s) URL with a host")
    return target, None


def _host_port(url: str) -> str | None:
    """`scheme://host:port` of URL (a bare `host:port`, as OLLAMA_HOST may be, is http)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


def _model(provider: str, model: str) -> Check | None:
    """For the embedded provider: the model file it would load (a cheap look, no import)."""
    if provider != "local":
        return None
    from llm_orc.providers.base import ProviderUnavailableError
    from llm_orc.providers.local import locate_model_file

    try:
        path = locate_model_file(model)
    except ProviderUnavailableError as exc:
        return Check(FAIL, "model", str(exc))
    return Check(OK, "model", f"file {path}")


def _price(profile: ModelProfile) -> Check:
    from llm_orc.config.ensemble import Agent
    from llm_orc.execution.agent_settings import resolve_settings

    pricing = resolve_settings(Agent(name="probe", model_profile=profile.name), profile).pricing()
    if pricing.known:
        return Check(OK, "price", pricing.describe())
    return Check(WARN, "price", pricing.describe())


async def probe_all(reports: list[ProfileReport], seconds: float = PROBE_SECONDS) -> None:
    """Probe every endpoint once (concurrently, each within SECONDS) and add the results."""
    targets = sorted({r.endpoint for r in reports if r.endpoint is not None})
    results = await asyncio.gather(*(_probe(target, seconds) for target in targets))
    found = dict(zip(targets, results, strict=True))
    for report in reports:
        if report.endpoint is not None:
            check = found[report.endpoint]
            report.reachable = check.state == OK
            report.checks.insert(-1, check)


def skip_probes(reports: list[ProfileReport]) -> None:
    for report in reports:
        if report.endpoint is not None:
            skipped = Check(SKIP, "endpoint", f"{report.endpoint} not probed (--offline)")
            report.checks.insert(-1, skipped)


async def _probe(target: str, seconds: float) -> Check:
    parts = urlsplit(target)
    host, port = parts.hostname or "", parts.port or 0
    try:
        async with asyncio.timeout(seconds):
            _, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return Check(
            FAIL, "endpoint", f"{target} did not answer within {seconds:g}s: is the server up?"
        )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return Check(
            FAIL, "endpoint", f"{target} unreachable ({reason}): check base_url, start the server"
        )
    writer.close()
    try:
        async with asyncio.timeout(seconds):
            await writer.wait_closed()
    except (TimeoutError, OSError):
        pass
    return Check(OK, "endpoint", f"{target} reachable")
