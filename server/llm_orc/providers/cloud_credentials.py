"""Which key a cloud provider sends: the standard variables' key only to the provider's own
host, another server's only when the profile names its variable (`api_key_env`).

So an `ANTHROPIC_API_KEY` or `GEMINI_API_KEY` is never sent to a gateway or test server a
profile's `base_url` points at unless that profile says so; the same rule as
`openai-compatible`'s.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from llm_orc.credentials.lookup import Credential, credential_variables, find_credential
from llm_orc.providers.base import AuthenticationError, GenerationRequest

NO_KEY = "no-key"
"""Sent to a server whose profile names no key variable (the SDKs insist on one)."""


def is_official(base_url: str | None, official_host: str) -> bool:
    """Whether BASE_URL (None: the SDK's default) is the provider's own host."""
    if not base_url:
        return True
    try:
        host = urlsplit(base_url).hostname
    except ValueError:
        return False
    return host == official_host


def credential_for(
    provider: str, request: GenerationRequest, official_host: str, label: str
) -> Credential | None:
    """The key for REQUEST; None (send no key) for another host whose profile names none.

    Raises AuthenticationError, saying which variable to set, when the key that should be
    there is not.
    """
    if request.api_key_env:
        found = find_credential(provider, request.api_key_env)
        if found is None:
            raise AuthenticationError(
                f"the environment variable {request.api_key_env} (the profile's api_key_env) "
                f"is not set: set it to the {label} key"
            )
        return found
    if not is_official(request.base_url, official_host):
        return None
    found = find_credential(provider)
    if found is None:
        variables = " or ".join(credential_variables(provider))
        raise AuthenticationError(
            f"no {label} API key: set {variables}, or name another variable with the "
            "profile's api_key_env"
        )
    return found
