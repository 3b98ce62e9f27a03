"""Safe pieces of provider error messages: one short line, no key, and retry-after parsing.

Cloud providers build their messages from the API's own short explanation; these helpers make
sure that explanation is one line, bounded, and never carries the key that was sent.
"""

from __future__ import annotations

import math
import re
import time
from email.utils import parsedate_to_datetime

from llm_orc.credentials.lookup import Credential, Secret

MAX_DETAIL_CHARS = 240
"""Longest piece of an API's own explanation quoted in a message."""

_WHITESPACE = re.compile(r"\s+")
_KEY_LIKE = re.compile(r"\b(sk-ant-[A-Za-z0-9_-]{8,}|AIza[A-Za-z0-9_-]{20,})")
"""Anthropic and Google API key shapes: redacted even when they are not the key we sent."""


def one_line(text: object, secret: Secret | None = None) -> str:
    """TEXT as one bounded line with SECRET (and anything shaped like an API key) masked."""
    line = _WHITESPACE.sub(" ", str(text)).strip()
    if secret is not None:
        value = secret.reveal()
        if value:
            line = line.replace(value, "***")
    line = _KEY_LIKE.sub("***", line)
    if len(line) > MAX_DETAIL_CHARS:
        line = line[: MAX_DETAIL_CHARS - 1].rstrip() + "…"
    return line


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """A `Retry-After` header (seconds, or an HTTP date) in seconds from now; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        current = time.time() if now is None else now
        seconds = when.timestamp() - current
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def parse_duration(value: object) -> float | None:
    """A protobuf JSON Duration (`"17s"`, `"0.5s"`) in seconds; None if it is not one."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    return float(match[1]) if match else None


def endpoint(base_url: str | None, default: str) -> str:
    """Scheme, host and port of BASE_URL (never its path or query, which may hold a key)."""
    url = base_url or default
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)?([^/?#@]*@)?([^/?#]*)", url)
    if not match:
        return "the endpoint"
    scheme = match[1] or ""
    return f"{scheme}{match[3]}"


def secret_of(credential: Credential | None) -> Secret | None:
    """The key of CREDENTIAL, to mask in messages (None: no key was sent)."""
    return credential.secret if credential is not None else None


def whose_key(credential: Credential | None) -> str:
    """Who was refused: the key from its source, or the request that sent none."""
    return f"the key from {credential.source}" if credential is not None else "the request"


def refused(credential: Credential | None, said: str, label: str) -> str:
    """The message of a refused (or missing) key: what the API SAID, and what to set."""
    if credential is None:
        return (
            f"the server wants a key{said}: name the variable holding it with the profile's "
            "api_key_env"
        )
    return f"the API refused the key from {credential.source}{said}: set a valid {label} key"
