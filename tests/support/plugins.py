"""The test plugins (tests/plugins: the `scripted` provider) on the import path of this process
and of every process it starts, the way an installed package would be."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def use_test_plugins() -> Path:
    """Put PLUGINS first on `sys.path` and on `PYTHONPATH` (inherited by subprocesses)."""
    folder = str(PLUGINS)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if folder not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([folder, *paths])
    return PLUGINS


def without_test_plugins(env: dict[str, str]) -> dict[str, str]:
    """ENV for a process that sees only what a plain install has: PLUGINS off its PYTHONPATH."""
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(PLUGINS)]
    rest = {key: value for key, value in env.items() if key != "PYTHONPATH"}
    return {**rest, "PYTHONPATH": os.pathsep.join(paths)} if paths else rest
