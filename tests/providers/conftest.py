"""Provider tests: a canary key in the environment that must never show up anywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.fake_servers.canary import CANARY, CANARY_ENV


@pytest.fixture(autouse=True)
def canary_key(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    """Set the canary key; after the test, no log record may contain it."""
    monkeypatch.setenv(CANARY_ENV, CANARY)
    caplog.set_level("DEBUG")
    yield CANARY
    assert CANARY not in caplog.text
