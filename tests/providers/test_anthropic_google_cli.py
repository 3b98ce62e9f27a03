"""A mixed ensemble through the `llm-orc` command as a subprocess: a scripted agent, Claude on
a loopback Anthropic server and Gemini on a loopback Gemini server (the real SDKs in the CLI's
process), then a synthesis; per-agent and total usage and cost; failures typed; and the
canary keys never in the output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from llm_orc.schemas import load_schema
from support.fake_servers import anthropic_wire, gemini_wire
from support.fake_servers.http_fake import FakeHTTPServer, Reply, Script

ANTHROPIC_CANARY = "sk-ant-canary-cli-8e2f4a6c0b1d3e5f7a9c"
GEMINI_CANARY = "AIzaCanaryCli-7d9f1b3e5a7c9e1b3d5f7a9"

CONFIG = """\
model_profiles:
  notes:
    provider: scripted
    model: fake-model
    options:
      reply: "notes on: {input}"
  synth:
    provider: scripted
    model: fake-model
    options: {echo_prompt: true}
  claude:
    provider: anthropic-api
    model: claude-fake-1
    base_url: ANTHROPIC_URL
    api_key_env: ANTHROPIC_API_KEY   # another server than api.anthropic.com: named explicitly
    price_per_million_input_tokens: 3
    price_per_million_output_tokens: 15
  gem:
    provider: gemini
    model: gemini-fake-1
    base_url: GEMINI_URL
    api_key_env: GEMINI_API_KEY
    price_per_million_input_tokens: 0.5
    price_per_million_output_tokens: 2
"""

ENSEMBLE = """\
name: mixed
description: a scripted agent, two cloud reviewers, a synthesis
agents:
  - name: notes
    model_profile: notes
  - name: claude-review
    model_profile: claude
    depends_on: [notes]
    system_prompt: You review notes.
  - name: gemini-review
    model_profile: gem
    depends_on: [notes]
    system_prompt: You also review notes.
  - name: synthesis
    model_profile: synth
    depends_on: [claude-review, gemini-review]
"""


def _command() -> list[str]:
    script = Path(sys.executable).parent / "llm-orc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_orc.cli.main"]


def _project(root: Path, anthropic_url: str, gemini_url: str) -> Path:
    (root / ".llm-orc" / "ensembles").mkdir(parents=True)
    config = CONFIG.replace("ANTHROPIC_URL", anthropic_url).replace("GEMINI_URL", gemini_url)
    (root / ".llm-orc" / "config.yaml").write_text(config, encoding="utf-8")
    (root / ".llm-orc" / "ensembles" / "mixed.yaml").write_text(ENSEMBLE, encoding="utf-8")
    return root


def _invoke(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": ANTHROPIC_CANARY,
        "GEMINI_API_KEY": GEMINI_CANARY,
        "COLUMNS": "120",
    }
    env.pop("GOOGLE_API_KEY", None)
    return subprocess.run(
        [*_command(), "invoke", "mixed", "the code", *args],
        cwd=project,
        input="",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _assert_no_canary(done: subprocess.CompletedProcess[str]) -> None:
    for canary in (ANTHROPIC_CANARY, GEMINI_CANARY):
        assert canary not in done.stdout and canary not in done.stderr


def test_a_mixed_ensemble_runs_through_the_cli_with_usage_and_cost(tmp_path: Path) -> None:
    claude = Reply(
        200,
        anthropic_wire.reply_events(
            ["Claude ", "says ok"],
            input_tokens=100,
            cache_read=50,
            cache_write=10,
            output_tokens=20,
        ),
        content_type="text/event-stream",
    )
    gemini = Reply(
        200,
        gemini_wire.reply_chunks(
            ["Gemini ", "says ok"], prompt_tokens=200, candidates_tokens=30, cached=40, thoughts=10
        ),
        content_type="text/event-stream",
    )
    with FakeHTTPServer(Script(claude)) as anthropic, FakeHTTPServer(Script(gemini)) as google:
        project = _project(tmp_path / "proj", anthropic.url, google.url)
        done = _invoke(project, "-o", "json")
        claude_sent = [request.json() for request in anthropic.requests]
        gemini_sent = [request.json() for request in google.requests]

    assert done.returncode == 0, done.stderr
    _assert_no_canary(done)
    document = json.loads(done.stdout)
    jsonschema.Draft202012Validator(load_schema("result")).validate(document)
    assert document["status"] == "succeeded"
    agents = {agent["name"]: agent for agent in document["agents"]}
    assert agents["claude-review"]["output"] == "Claude says ok"
    assert agents["gemini-review"]["output"] == "Gemini says ok"
    assert agents["claude-review"]["provider"] == "anthropic-api"
    assert agents["gemini-review"]["provider"] == "gemini"

    # Each cloud agent got the scripted agent's output, once (no SDK retries).
    [claude_body] = claude_sent
    [gemini_body] = gemini_sent
    assert "notes on: the code" in claude_body["messages"][0]["content"]
    assert "notes on: the code" in gemini_body["contents"][0]["parts"][0]["text"]
    assert claude_body["system"].startswith("You review notes.")

    claude_usage = agents["claude-review"]["usage"]
    assert (claude_usage["input_tokens"], claude_usage["output_tokens"]) == (160, 20)
    assert (claude_usage["cache_read_tokens"], claude_usage["cache_write_tokens"]) == (50, 10)
    gemini_usage = agents["gemini-review"]["usage"]
    assert (gemini_usage["input_tokens"], gemini_usage["output_tokens"]) == (200, 40)
    assert (gemini_usage["cache_read_tokens"], gemini_usage["reasoning_tokens"]) == (40, 10)
    assert not claude_usage["estimated"] and not gemini_usage["estimated"]

    # The profiles' prices; P3's price table will refine cache prices, the sums must hold.
    assert claude_usage["cost_usd"] > 0 and gemini_usage["cost_usd"] > 0
    totals = document["totals"]["usage"]
    for key in ("input_tokens", "output_tokens", "cache_read_tokens", "total_tokens"):
        assert totals[key] == sum(agent["usage"][key] for agent in document["agents"])
    costs = [agent["usage"]["cost_usd"] for agent in document["agents"]]
    assert totals["cost_usd"] == pytest.approx(sum(costs))

    final = document["final_answer"]
    assert final["agent"] == "synthesis"
    assert "Claude says ok" in final["output"] and "Gemini says ok" in final["output"]


def test_cloud_failures_are_typed_one_line_errors_without_the_keys(tmp_path: Path) -> None:
    refused = Reply(401, [anthropic_wire.error_body("authentication_error", "invalid x-api-key")])
    limited = Reply(
        429,
        [
            gemini_wire.error_body(
                429, "RESOURCE_EXHAUSTED", "Quota exceeded.", [gemini_wire.retry_info(60)]
            )
        ],
    )
    with FakeHTTPServer(Script(refused)) as anthropic, FakeHTTPServer(Script(limited)) as google:
        project = _project(tmp_path / "proj", anthropic.url, google.url)
        done = _invoke(project, "-o", "jsonl")
        requests = (len(anthropic.requests), len(google.requests))

    assert done.returncode == 1
    _assert_no_canary(done)
    assert requests == (1, 1)  # no retries configured, and none by the SDKs
    events = [json.loads(line) for line in done.stdout.splitlines()]
    failed = {event["agent"]: event for event in events if event["type"] == "agent_failed"}
    assert failed["claude-review"]["error_type"] == "authentication"
    assert "ANTHROPIC_API_KEY" in failed["claude-review"]["error"]
    assert failed["gemini-review"]["error_type"] == "rate_limited"
    assert "retry after 60s" in failed["gemini-review"]["error"]
    for event in failed.values():
        assert "\n" not in event["error"]
    skipped = [event["agent"] for event in events if event["type"] == "agent_skipped"]
    assert skipped == ["synthesis"]
