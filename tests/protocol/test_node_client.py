"""The language server seen by a second, independent client: Node's vscode-jsonrpc.

The Node tests (`tests/protocol/*.test.js`, run with `node --test`) spawn the server with this
interpreter and speak raw LSP JSON-RPC to it, so the server is not only ever checked by pygls
talking to pygls. Without Node and npm they are skipped, except in CI (`CI=true`), where a
missing tool is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI", "").strip().lower() in {"true", "1"}
MIN_NODE = 18  # `node --test` and `node:test`'s describe/it


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the protocol tests must run in CI)")
    pytest.skip(reason)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _unavailable(f"`{name}` is not on PATH: the Node protocol tests need Node.js and npm")
    assert path is not None
    return path


def _node_major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    found = re.match(r"v(\d+)\.", version.stdout.strip())
    return int(found.group(1)) if found else 0


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=HERE, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


def test_an_independent_client_speaks_lsp_to_the_server() -> None:
    node, npm = _tool("node"), _tool("npm")
    if (major := _node_major(node)) < MIN_NODE:
        _unavailable(f"Node.js {MIN_NODE}+ is needed for `node --test`, found major {major}")
    if not (HERE / "node_modules").is_dir():
        installed = _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"])
        assert installed.returncode == 0, "npm ci failed\n" + _output(installed)

    env = {**os.environ, "LLM_ORC_PYTHON": sys.executable}
    tests = sorted(path.name for path in HERE.glob("*.test.js"))
    done = _run([node, "--test", *tests], env=env)
    assert done.returncode == 0, "node --test failed\n" + _output(done)
