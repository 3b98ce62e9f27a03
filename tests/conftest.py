"""Shared set-up: the test plugins on the path, and an isolated configuration home per test.

The `scripted` provider is a test double that no install of llm-orc contains: it lives in
tests/plugins as a package with its own dist-info, put on `sys.path` and `PYTHONPATH` here,
before any test module loads, so this process and every CLI or language server it starts
find it through the `llm_orc.providers` entry point group.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.plugins import use_test_plugins

use_test_plugins()


@pytest.fixture(autouse=True)
def isolated_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point XDG_CONFIG_HOME at an empty folder so the user's own config never leaks in."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    yield home / "llm-orc"
