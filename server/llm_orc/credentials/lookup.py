"""The one credential lookup: a profile's `api_key_env`, else the provider's standard variables,
else a registered source (the encrypted store plugs in here).

Keys travel as `Secret`, whose repr and str never show them; only `reveal()` does, for the SDK.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

STANDARD_ENV: dict[str, tuple[str, ...]] = {
    "openai-compatible": ("OPENAI_API_KEY",),
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "google-gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}
"""Provider name -> the environment variables its key is read from, first found wins."""


class Secret:
    """A credential value: repr and str show `***`; `reveal()` is the only way to the key."""

    __slots__ = ("__value",)

    def __init__(self, value: str) -> None:
        self.__value = value

    def reveal(self) -> str:
        """The key itself: hand it to the SDK, nothing else."""
        return self.__value

    @property
    def fingerprint(self) -> str:
        """A short hash of the key, for cache keys (not reversible to the key)."""
        return hashlib.sha256(self.__value.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.__value == self.__value

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True, slots=True)
class Credential:
    """A key and where it was found (the source names a variable or store, never the value)."""

    secret: Secret
    source: str


CredentialSource = Callable[[str], Credential | None]
"""Given a provider name, its credential, or None."""

_sources: list[CredentialSource] = []


def register_credential_source(source: CredentialSource) -> None:
    """Add a source consulted after the environment (the encrypted store, later)."""
    _sources.append(source)


def credential_variables(provider: str, api_key_env: str | None = None) -> tuple[str, ...]:
    """The environment variables looked at for PROVIDER's key (for messages and doctor)."""
    if api_key_env:
        return (api_key_env,)
    return STANDARD_ENV.get(provider, ())


def find_credential(
    provider: str,
    api_key_env: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credential | None:
    """PROVIDER's key: from API_KEY_ENV when a profile names one (and only there), else from
    the provider's standard variables, else from a registered source; None when none has it."""
    env = os.environ if environ is None else environ
    for variable in credential_variables(provider, api_key_env):
        value = env.get(variable, "").strip()
        if value:
            return Credential(Secret(value), f"environment variable {variable}")
    if api_key_env:
        return None
    for source in _sources:
        found = source(provider)
        if found is not None:
            return found
    return None
