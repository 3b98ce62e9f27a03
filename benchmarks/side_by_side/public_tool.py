"""The public llm-orc (PyPI `llm-orchestra`, AGPL) in a virtual environment of its own, under
the user's cache directory — never a dependency of this project, never on its import path.

`ensure_installed()` reuses the environment when it holds the pinned version, else (re)creates
it with `python -m venv` and `pip install llm-orchestra==VERSION`; on any failure (no network,
no PyPI) it says why, and the benchmark records the public figures as not measured.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "llm-orchestra"
VERSION = "0.25.2"
"""The newest release when this benchmark was written (`pip index versions llm-orchestra`)."""
INSTALL_TIMEOUT_SECONDS = 900


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llm-orc-bench"


def venv_dir(version: str = VERSION) -> Path:
    return cache_root() / f"{PACKAGE}-{version}"


@dataclass(frozen=True, slots=True)
class PublicTool:
    """An installed public llm-orc: its console script, and how it got there."""

    executable: Path
    version: str
    venv: Path
    install_seconds: float | None
    """Seconds the install took in this run; None when the environment was already there."""


def _installed_version(venv: Path) -> str | None:
    python = venv / "bin" / "python"
    if not (python.is_file() and (venv / "bin" / "llm-orc").is_file()):
        return None
    probe = "from importlib.metadata import version; print(version('llm-orchestra'))"
    done = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _last_line(text: str) -> str:
    """The last `ERROR` line of pip's output, else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or ["(no output)"])[-1]


def ensure_installed(version: str = VERSION) -> PublicTool | str:
    """The public tool at VERSION, installing it if needed; or the reason it is not there."""
    venv = venv_dir(version)
    if _installed_version(venv) == version:
        return PublicTool(venv / "bin" / "llm-orc", version, venv, None)
    started = time.perf_counter()
    if venv.exists():
        shutil.rmtree(venv)  # a half-made or other-version environment: start over
    venv.parent.mkdir(parents=True, exist_ok=True)
    python = str(venv / "bin" / "python")
    spec = f"{PACKAGE}=={version}"
    steps = [
        ("python -m venv", [sys.executable, "-m", "venv", str(venv)]),
        (
            f"pip install {spec}",
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", spec],
        ),
    ]
    for label, argv in steps:
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"`{label}` failed: {type(error).__name__}: {error}"
        if done.returncode != 0:
            return f"`{label}` exited {done.returncode}: {_last_line(done.stderr or done.stdout)}"
    if _installed_version(venv) != version:
        return f"{PACKAGE}=={version} installed, but its version does not read back"
    return PublicTool(venv / "bin" / "llm-orc", version, venv, time.perf_counter() - started)
