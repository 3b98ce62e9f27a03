"""The pieces cloud providers build error messages from (`providers.error_text`): one bounded
line, the key and key-shaped strings masked, retry-after in both of its forms, and endpoints
without their path, query or user info."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from llm_orc.credentials.lookup import Secret
from llm_orc.providers.error_text import (
    MAX_DETAIL_CHARS,
    endpoint,
    one_line,
    parse_duration,
    parse_retry_after,
)

KEY = "sk-ant-api03-verysecretvalue-0123456789"


def test_one_line_masks_the_key_and_key_shaped_text_and_stays_short() -> None:
    text = f"bad key {KEY}\nand another AIzaSyA0123456789abcdefghijklmnop\r\n\tend"
    line = one_line(text, Secret(KEY))
    assert "\n" not in line and "\r" not in line and "\t" not in line
    assert KEY not in line and "AIzaSy" not in line
    assert line == "bad key *** and another *** end"
    long = one_line("x" * 10_000)
    assert len(long) == MAX_DETAIL_CHARS and long.endswith("…")
    assert one_line("plain", Secret("")) == "plain"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("0.25", 0.25), (" 3 ", 3.0), ("-4", 0.0), ("", None), (None, None)],
)
def test_retry_after_in_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date_is_counted_from_now() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("nan") is None and parse_retry_after("inf") is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("17s", 17.0), ("0.5s", 0.5), ("3", None), (17, None), ("s", None), (None, None)],
)
def test_protobuf_durations(value: object, seconds: float | None) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (None, "https://api.anthropic.com"),
        ("http://127.0.0.1:8080/v1?key=AIzaSecret", "http://127.0.0.1:8080"),
        ("https://user:pass@gateway.example/anthropic", "https://gateway.example"),
        ("gateway.example:443/path", "gateway.example:443"),
    ],
)
def test_endpoints_keep_only_scheme_host_and_port(url: str | None, shown: str) -> None:
    assert endpoint(url, "https://api.anthropic.com") == shown
