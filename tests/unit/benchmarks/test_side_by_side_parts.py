"""The side-by-side benchmark's own parts (benchmarks/side_by_side, bench_side_by_side): the
latency server answers after the latency its model name says, with usage, streamed or not; the
shapes' critical-path and phase arithmetic; the project files run under our CLI. The public
llm-orc is not needed here."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

# The benchmarks import each other as top-level modules, the way benchmarks/run.py runs them.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

import bench_side_by_side as bench
from side_by_side import shapes
from side_by_side.latency_server import (
    COMPLETION_TOKENS,
    LatencyServer,
    Served,
    latency_of,
    model_for,
    peak_in_flight,
    prompt_tokens,
)

MESSAGES = [
    {"role": "system", "content": "You are a test."},
    {"role": "user", "content": "Say something, please."},
]


def _post(url: str, document: dict[str, Any]) -> tuple[int, bytes, str, float]:
    request = urllib.request.Request(
        url + "/chat/completions",
        data=json.dumps(document).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            return (
                response.status,
                body,
                response.headers["Content-Type"],
                time.monotonic() - started,
            )
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"], time.monotonic() - started


def _events(body: bytes) -> list[str]:
    return [line[len("data: ") :] for line in body.decode().split("\n\n") if line]


def test_model_names_carry_the_latency() -> None:
    assert latency_of(model_for(0.4)) == 0.4
    assert latency_of(model_for(1.0)) == 1.0
    assert latency_of("gpt-4o") is None
    assert latency_of("lat-") is None


def test_a_plain_request_is_answered_after_its_latency_with_usage() -> None:
    with LatencyServer() as server:
        status, body, content_type, elapsed = _post(
            server.base_url, {"model": "lat-0.3", "messages": MESSAGES}
        )
        served = server.snapshot()
    assert status == 200
    assert content_type == "application/json"
    assert elapsed >= 0.3
    document = json.loads(body)
    assert document["object"] == "chat.completion"
    assert document["choices"][0]["message"]["content"] == "done after 0.3 s"
    assert document["usage"] == {
        "prompt_tokens": prompt_tokens(MESSAGES),
        "completion_tokens": COMPLETION_TOKENS,
        "total_tokens": prompt_tokens(MESSAGES) + COMPLETION_TOKENS,
    }
    assert len(served) == 1
    assert served[0].model == "lat-0.3"
    assert not served[0].stream
    assert served[0].answered - served[0].received >= 0.3


def test_a_streamed_request_is_sse_with_usage_when_asked() -> None:
    request = {
        "model": "lat-0.2",
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with LatencyServer() as server:
        status, body, content_type, elapsed = _post(server.base_url, request)
        _, bare, _, _ = _post(server.base_url, {**request, "stream_options": None})
        served = server.snapshot()
    assert status == 200
    assert content_type == "text/event-stream"
    assert elapsed >= 0.2
    events = _events(body)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "done after 0.2 s"
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["usage"]["prompt_tokens"] == prompt_tokens(MESSAGES)
    assert chunks[-1]["usage"]["completion_tokens"] == COMPLETION_TOKENS
    assert not any("usage" in json.loads(e) for e in _events(bare)[:-1])
    assert [s.stream for s in served] == [True, True]


async def test_our_openai_compatible_provider_reads_the_server() -> None:
    from llm_orc.providers.base import GenerationRequest
    from llm_orc.providers.openai_compatible import OpenAICompatibleProvider

    provider = OpenAICompatibleProvider()
    with LatencyServer() as server:
        request = GenerationRequest(
            model="lat-0.1", system_prompt="s", prompt="p", base_url=server.base_url
        )
        generation = await provider.generate(request, lambda _: None)
        await provider.aclose()
    assert generation.text == "done after 0.1 s"
    assert generation.usage.output_tokens == COMPLETION_TOKENS
    assert not generation.usage.estimated


def test_unknown_models_and_paths_are_refused_with_a_message() -> None:
    with LatencyServer([model_for(0.4), model_for(0.05)]) as server:
        status, body, _, _ = _post(server.base_url, {"model": "gpt-4o", "messages": MESSAGES})
        with urllib.request.urlopen(server.base_url + "/models", timeout=30) as response:
            listed = json.loads(response.read())
        served = server.snapshot()
    assert status == 404
    assert "gpt-4o" in json.loads(body)["error"]["message"]
    assert [m["id"] for m in listed["data"]] == ["lat-0.05", "lat-0.4"]
    assert served == []


def test_peak_in_flight_counts_overlapping_requests() -> None:
    served = [
        Served("m", False, 0.0, 1.0),
        Served("m", False, 0.5, 1.5),
        Served("m", False, 0.6, 0.7),
        Served("m", False, 1.5, 2.0),  # arrives as the second one is answered: not overlapping
    ]
    assert peak_in_flight(served) == 3
    assert peak_in_flight(iter(served[3:])) == 1
    assert peak_in_flight([]) == 0


def test_the_two_chain_skewed_dag_alternates_and_phases_cost_the_slow_agent_of_each_level() -> None:
    shape = shapes.skewed_dag(2, 8, fast=0.05, slow=0.4)
    path, critical = shape.critical_path()
    assert len(shape.agents) == 16
    assert critical == pytest.approx(4 * 0.4 + 4 * 0.05)
    assert shape.phase_time() == pytest.approx(8 * 0.4)
    latencies = shape.latencies
    assert [latencies[name] for name in path] == [0.4, 0.05] * 4
    by_name = {agent.name: agent for agent in shape.agents}
    for level in range(8):
        level_latencies = sorted(latencies[shapes.lane_name(level, lane)] for lane in range(2))
        assert level_latencies == [0.05, 0.4]
        for lane in range(2):
            depends_on = by_name[shapes.lane_name(level, lane)].depends_on
            expected = () if level == 0 else (shapes.lane_name(level - 1, (lane - 1) % 2),)
            assert depends_on == expected


def test_the_four_chain_shape_matches_the_skewed_dag_benchmark() -> None:
    shape = shapes.skewed_dag(4, 8, fast=0.05, slow=0.4)
    assert shape.critical_path()[1] == pytest.approx(2 * 0.4 + 6 * 0.05)
    assert shape.phase_time() == pytest.approx(8 * 0.4)


def test_independent_agents_take_one_latency_either_way() -> None:
    shape = shapes.fan_out(200, 1.0)
    assert len(shape.agents) == 200
    assert all(agent.depends_on == () for agent in shape.agents)
    assert shape.critical_path()[1] == pytest.approx(1.0)
    assert shape.phase_time() == pytest.approx(1.0)


def test_the_ensemble_file_names_one_profile_per_latency() -> None:
    shape = shapes.skewed_dag(2, 4, fast=0.05, slow=0.4)
    document = yaml.safe_load(shapes.ensemble_yaml(shape))
    profiles = shapes.profiles({0.05, 0.4}, "http://127.0.0.1:1/v1")
    assert document["name"] == "skewed-dag"
    assert document["description"]
    for agent, entry in zip(shape.agents, document["agents"], strict=True):
        assert entry["name"] == agent.name
        assert entry.get("depends_on", []) == list(agent.depends_on)
        profile = profiles[entry["model_profile"]]
        assert profile["provider"] == "openai-compatible"
        assert latency_of(str(profile["model"])) == agent.latency


def test_the_public_tools_output_is_read_and_its_failures_say_why() -> None:
    ok = {
        "status": "success",
        "has_errors": False,
        "metadata": {"started_at": 10.0, "completed_at": 12.5},
    }
    assert bench._parse_public(ok) == bench.Reported(10.0, 2.5)
    failed = {"status": "error", "has_errors": True, "error": {"message": "this host cannot"}}
    assert bench._parse_public(failed) == "status error: this host cannot"
    ours = {"status": "failed", "agents": [{"name": "a", "status": "failed", "error": "boom"}]}
    assert bench._parse_ours(ours) == "run failed: a: boom"


def test_our_cli_runs_the_benchmark_project(tmp_path: Path) -> None:
    """The project files the benchmark writes run under our CLI, and a sample lines up: every
    agent answered once, and no run beats its critical path (the server holds each answer)."""
    chain = shapes.skewed_dag(2, 3, fast=0.01, slow=0.05)
    with LatencyServer([model_for(0.01), model_for(0.05)]) as server:
        project = tmp_path / "project"
        project.mkdir()
        bench._write_project(project, server, [chain])
        env = bench._environment(tmp_path / "home")
        sample = bench._invoke(bench._our_tool(), chain, server, project, env)
    assert isinstance(sample, bench.Sample), sample
    assert sample.requests == len(chain.agents)
    assert sample.span >= chain.critical_path()[1]
    assert sample.run >= sample.span
    assert sample.wall >= sample.run
    assert sample.peak_in_flight >= 1
    assert sample.cpu > 0


def test_a_quick_run_measures_nothing_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    result = bench.run(quick=True)
    assert result.figures == []
    assert result.error is None
    [entry] = result.details["not_measured"]
    assert "--quick" in entry["reason"]
    assert "NOT MEASURED" in capsys.readouterr().err


def test_the_bare_sdk_floor_sends_every_request_at_once_and_is_recorded() -> None:
    from harness import BenchmarkResult

    result = BenchmarkResult("side_by_side", "test", parameters={})
    shape = shapes.fan_out(5, 0.2)
    with LatencyServer([model_for(0.2)]) as server:
        floor = bench._bare_sdk(result, shape, server)
        served = server.snapshot()
    assert floor is not None and floor >= 0.2  # every answer takes the latency
    assert len(served) == 6 and all(s.stream for s in served)  # a warm-up, then the five
    assert peak_in_flight(served) == 5
    [figure] = result.figures
    assert figure.name == "fan-out-5: bare openai SDK, 5 requests at once / one call"
    assert figure.value == pytest.approx(floor / 0.2)
