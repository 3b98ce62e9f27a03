"""The VS Code extension (vscode-extension/): its npm checks and tests, and the .vsix it packages.

Runs the extension's own scripts: `npm run check` (tsc --noEmit strict, eslint, the generated
schema types up to date), `npm test` (vitest: the run model and the wiring against a stubbed
`vscode`; the protocol layer against this interpreter's language server; the webview page in
headless Chromium) and `npm run package` (vsce), then `npm run test:e2e`: the .vsix installed
into a real VS Code (code-server, in vscode-extension/e2e/) driven in Chromium. Without Node,
npm, Chromium or code-server the tests are skipped, except in CI (`CI=true`), where a missing
tool is a failure; `vscode-extension/scripts/ci-install.sh` installs what they need.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from itertools import pairwise
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "vscode-extension"
IN_CI = os.environ.get("CI", "").strip().lower() in {"true", "1"}
MIN_NODE = (20, 19)  # vitest's vite 7
CHROMIUM = os.environ.get("LLM_ORC_CHROMIUM", "/usr/bin/chromium")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the extension's tests must run in CI)")
    pytest.skip(reason)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _unavailable(f"`{name}` is not on PATH: the extension's tests need Node.js and npm")
    assert path is not None
    return path


def _node_version(node: str) -> tuple[int, int]:
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    found = re.match(r"v(\d+)\.(\d+)\.", done.stdout.strip())
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def _run(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LLM_ORC_PYTHON": sys.executable,  # the server the extension's server tests spawn
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        args, cwd=EXTENSION, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


@pytest.fixture(scope="module")
def npm() -> str:
    node, npm = _tool("node"), _tool("npm")
    if (version := _node_version(node)) < MIN_NODE:
        _unavailable(f"Node.js {MIN_NODE[0]}.{MIN_NODE[1]}+ is needed, found {version}")
    if not (EXTENSION / "node_modules").is_dir():
        installed = _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"])
        assert installed.returncode == 0, "npm ci failed\n" + _output(installed)
    return npm


def test_types_lint_and_generated_schema_types(npm: str) -> None:
    done = _run([npm, "run", "check"])
    assert done.returncode == 0, "npm run check failed\n" + _output(done)


def test_unit_and_webview_page_tests(npm: str) -> None:
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM}: the webview page tests need it")
    done = _run([npm, "test"])
    assert done.returncode == 0, "npm test failed\n" + _output(done)
    assert "skipped" not in done.stdout.lower(), "some extension tests were skipped\n" + _output(
        done
    )


def test_packages_a_vsix_with_the_bundles_and_the_schema(npm: str) -> None:
    done = _run([npm, "run", "package"])
    assert done.returncode == 0, "npm run package failed\n" + _output(done)
    with zipfile.ZipFile(EXTENSION / "dist" / "llm-orc.vsix") as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
        schema = json.loads(vsix.read("extension/dist/schema/ensemble.schema.json"))
        readme = vsix.read("extension/readme.md").decode()
    needed_files = (
        "extension/dist/extension.js",
        "extension/dist/webview/page.js",
        "extension/dist/webview/markdown.js",
    )
    for needed in needed_files:
        assert needed in names
    # Outside the repository (the .vsix, the marketplace) a relative link leads nowhere.
    relative = [link for link in ("](../", "](./") if link in readme]
    assert not relative, f"the extension README has relative links: {relative}"
    assert "extension/dist/webview/panel.css" in names
    assert not any(name.startswith("extension/node_modules/") for name in names)
    assert not any(name.endswith(".map") for name in names)
    assert manifest["main"] == "./dist/extension.js"
    shipped = json.loads((EXTENSION.parent / "schema" / "ensemble.schema.json").read_text())
    assert schema == shipped, "the .vsix's ensemble schema is not the one in schema/"


def test_the_recorded_event_streams_follow_the_contract(npm: str) -> None:
    """The extension's tests feed hand-written streams: each must be a valid run of the contract."""
    from llm_orc.schemas import schema_validator

    done = _run(["node", "test/fixtures/dump.mjs"], timeout=60)
    assert done.returncode == 0, "dumping the recorded streams failed\n" + _output(done)
    validator = schema_validator("events")
    for name, events in json.loads(done.stdout).items():
        for event in events:
            errors = [error.message for error in validator.iter_errors(event)]
            assert errors == [], f"{name} seq {event['seq']} ({event['type']}): {errors}"
        assert events[0]["type"] == "ensemble_started", name
        assert events[-1]["type"] == "ensemble_finished", name
        for before, event in pairwise(events):
            assert event["seq"] > before["seq"], name
            if event["seq"] != before["seq"] + 1:  # gaps only where deltas were coalesced
                gap = f"{name}: a gap before seq {event['seq']}"
                assert event["type"] == "agent_text_delta", gap


def test_end_to_end_in_a_real_vs_code(npm: str) -> None:
    if not (EXTENSION / "e2e" / "node_modules" / ".bin" / "code-server").exists():
        _unavailable("code-server is not installed in vscode-extension/e2e (scripts/ci-install.sh)")
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM}: the end-to-end test needs it")
    done = _run([npm, "run", "test:e2e"], timeout=480)
    assert done.returncode == 0, "npm run test:e2e failed\n" + _output(done)
    assert "skipped" not in done.stdout.lower(), "the end-to-end test was skipped\n" + _output(done)
