"""Cost, budgets and `llm-orc providers` through the CLI, on the `metered` third-party plugin
(tests/plugins/llm_orc_metered: priced by the genai-prices table) and the scripted double."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import genai_prices
import pytest

from llm_orc.pricing.cost import pricing_for
from llm_orc.schemas import schema_validator
from support.fake_servers import openai_wire as wire
from support.fake_servers.http_fake import FakeHTTPServer, Reply, Script

MODEL = "claude-sonnet-4-20250514"
CANARY = "sk-canary-5f2b9c1e-never-print-me"

CONFIG = f"""\
model_profiles:
  metered:
    provider: metered
    model: {MODEL}
    max_tokens: 500
    options: {{input_tokens: 1000, output_tokens: 500, cache_read_tokens: 200}}
  mystery:
    provider: metered
    model: a-model-no-table-knows
  free:
    provider: scripted
    model: fake
"""

PRICED = """\
name: priced
default_task: go
agents:
  - name: one
    model_profile: metered
  - name: two
    model_profile: free
    depends_on: [one]
"""

CHAIN = """\
name: chain
default_task: go
max_cost: 100
agents:
  - name: first
    model_profile: metered
  - name: second
    model_profile: metered
    depends_on: [first]
  - name: third
    model_profile: metered
    depends_on: [second]
"""


def _command() -> list[str]:
    script = Path(sys.executable).parent / "llm-orc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_orc.cli.main"]


@pytest.fixture
def project(tmp_path: Path, isolated_config: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".llm-orc" / "ensembles").mkdir(parents=True)
    (root / ".llm-orc" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (root / ".llm-orc" / "ensembles" / "priced.yaml").write_text(PRICED, encoding="utf-8")
    (root / ".llm-orc" / "ensembles" / "chain.yaml").write_text(CHAIN, encoding="utf-8")
    return root


def llm_orc(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), *args],
        cwd=project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "160", **(env or {})},
        timeout=60,
    )


def table_cost() -> float:
    usage = genai_prices.Usage(input_tokens=1000, output_tokens=500, cache_read_tokens=200)
    return float(genai_prices.calc_price(usage, MODEL, provider_id="anthropic").total_price)


def test_a_plugin_providers_agents_are_priced_by_the_table_per_agent_and_in_total(
    project: Path,
) -> None:
    done = llm_orc(project, "invoke", "priced", "-o", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    schema_validator("result").validate(doc)
    one, two = doc["agents"]
    assert one["provider"] == "metered"
    assert one["usage"]["cost_usd"] == pytest.approx(table_cost())
    assert one["usage"]["cache_read_tokens"] == 200
    assert two["usage"]["cost_usd"] == 0
    assert doc["totals"]["usage"]["cost_usd"] == pytest.approx(table_cost())
    assert doc["budget"] is None and doc["stopped_reason"] is None


def test_an_unknown_price_is_null_with_its_reason_never_zero(project: Path) -> None:
    (project / "odd.yaml").write_text(
        "name: odd\nagents:\n  - name: a\n    model_profile: mystery\n", encoding="utf-8"
    )
    done = llm_orc(project, "invoke", "odd.yaml", "go", "-o", "json")
    assert done.returncode == 0, done.stderr
    usage = json.loads(done.stdout)["totals"]["usage"]
    assert usage["cost_usd"] is None
    assert "a-model-no-table-knows" in usage["cost_reason"]
    assert "price_per_million_input_tokens" in usage["cost_reason"]
    markdown = llm_orc(project, "invoke", "odd.yaml", "go", "-o", "markdown")
    assert "cost unknown" in markdown.stdout


def test_max_cost_stops_the_run_and_says_so(project: Path) -> None:
    # Each agent costs table_cost(): a budget of 1.5 of them lets two agents run, not three.
    budget = f"{1.5 * table_cost():.8f}"
    done = llm_orc(project, "invoke", "chain", "-o", "json", "--max-cost", budget)
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["stopped_reason"] == "budget"
    assert [a["status"] for a in doc["agents"]] == ["succeeded", "succeeded", "skipped"]
    assert doc["agents"][2]["error"]["message"].startswith("budget: ")
    assert doc["budget"]["spent_usd"] == pytest.approx(2 * table_cost())
    assert "llm-orc: stopped by the budget" in done.stderr
    assert "Traceback" not in done.stderr
    within = llm_orc(project, "invoke", "chain", "-o", "json")  # the ensemble's own $100
    assert within.returncode == 0, within.stderr
    assert json.loads(within.stdout)["budget"]["max_cost_usd"] == 100


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "a dollar"])
def test_a_max_cost_that_is_not_a_positive_number_is_a_usage_error(
    project: Path, value: str
) -> None:
    done = llm_orc(project, "invoke", "chain", "--max-cost", value)
    assert done.returncode == 2
    assert "--max-cost: must be a positive number of US dollars" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def listening() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel completes them: no thread)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])


def _with_endpoint(project: Path, port: int, *, api_key_env: str = "METERED_KEY") -> None:
    config = CONFIG + (
        f"  remote:\n    provider: metered\n    model: {MODEL}\n"
        f"    base_url: http://127.0.0.1:{port}/v1?key=hidden\n    api_key_env: {api_key_env}\n"
    )
    (project / ".llm-orc" / "config.yaml").write_text(config, encoding="utf-8")
    (project / ".llm-orc" / "ensembles" / "remote.yaml").write_text(
        "name: remote\nagents:\n  - name: a\n    model_profile: remote\n", encoding="utf-8"
    )


def test_providers_reports_each_profile_and_never_shows_a_key(
    project: Path, listening: int
) -> None:
    _with_endpoint(project, listening)
    done = llm_orc(project, "providers", env={"METERED_KEY": CANARY})
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "profile 'remote': metered/" in out
    assert "used by remote" in out
    assert "credentials: found in $METERED_KEY" in out
    assert f"endpoint: http://127.0.0.1:{listening} reachable" in out
    assert "price table (anthropic" in out
    assert "cost unknown" in out  # the `mystery` profile: a warning, not a failure
    assert CANARY not in out + done.stderr
    assert "hidden" not in out  # the URL's query is never printed


def test_providers_exits_1_with_what_to_do_when_a_used_profile_cannot_run(
    project: Path, closed_port: int
) -> None:
    _with_endpoint(project, closed_port)
    done = llm_orc(project, "providers", "remote")
    assert done.returncode == 1
    out = done.stdout
    assert "FAIL  credentials: not found: set $METERED_KEY" in out
    assert f"FAIL  endpoint: http://127.0.0.1:{closed_port} unreachable" in out
    assert "cannot run, used by an ensemble: remote" in out
    assert "profile 'metered'" not in out  # only the profiles the named ensemble uses


def test_offline_skips_the_probe_and_config_check_is_the_same_report(
    project: Path, closed_port: int
) -> None:
    _with_endpoint(project, closed_port)
    env = {"METERED_KEY": CANARY}
    offline = llm_orc(project, "providers", "--offline", env=env)
    assert offline.returncode == 0, offline.stdout
    assert "skip  endpoint:" in offline.stdout and "not probed (--offline)" in offline.stdout
    check = llm_orc(project, "config", "check", "--offline", env=env)
    assert check.returncode == 0
    assert check.stdout == offline.stdout


def test_a_provider_that_is_not_installed_is_a_located_gap(project: Path) -> None:
    (project / ".llm-orc" / "config.yaml").write_text(
        CONFIG + "  gone:\n    provider: nowhere\n    model: m\n", encoding="utf-8"
    )
    done = llm_orc(project, "providers", "--offline")
    assert "FAIL  provider: 'nowhere' is not a provider here" in done.stdout
    assert done.returncode == 0  # no ensemble uses `gone`


def test_plan_estimates_what_it_can_and_says_why_not_for_the_rest(project: Path) -> None:
    (project / "mixed.yaml").write_text(
        "name: mixed\ndefault_task: go\nmax_cost: 0.001\nagents:\n"
        "  - name: paid\n    model_profile: metered\n"
        "  - name: odd\n    model_profile: mystery\n"
        "  - name: free\n    model_profile: free\n    depends_on: [paid]\n",
        encoding="utf-8",
    )
    done = llm_orc(project, "plan", "mixed.yaml")
    assert done.returncode == 0, done.stderr
    lines = {line.split(":")[0].strip(): line for line in done.stdout.splitlines()}
    paid = lines["paid"]
    tokens_in = int(paid.split("(")[1].split(" in")[0])
    expected = pricing_for("metered", MODEL, None, {}).per_million
    cost = (tokens_in * expected["input"] + 500 * expected["output"]) / 1e6
    assert f"paid: <= ${cost:.4f} ({tokens_in} in + 500 out tokens at " in paid
    assert "odd: no estimate: " in lines["odd"] and "not in the price table" in lines["odd"]
    assert "free: $0 (free)" in done.stdout
    assert "plus 1 agent(s) without an estimate (odd)" in done.stdout
    assert "max_cost: $0.001: the run may reach it and stop" in done.stdout


def test_a_budget_over_an_agent_of_unknown_cost_is_a_located_warning(project: Path) -> None:
    (project / "blind.yaml").write_text(
        "name: blind\nmax_cost: 1\nagents:\n"
        "  - name: known\n    model_profile: metered\n"
        "  - name: odd\n    model_profile: mystery\n",
        encoding="utf-8",
    )
    done = llm_orc(project, "validate", "blind.yaml")
    assert done.returncode == 0, done.stdout
    warnings = [line for line in done.stdout.splitlines() if "unknown-cost" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("blind.yaml:7:5: warning[unknown-cost]: agent 'odd'")
    assert "max_cost counts it as 0" in warnings[0]


def _openai_project(project: Path, url: str, prices: str) -> None:
    config = (
        "model_profiles:\n  oa:\n    provider: openai-compatible\n"
        f"    model: {wire.MODEL}\n    base_url: {url}/v1\n{prices}"
    )
    (project / ".llm-orc" / "config.yaml").write_text(config, encoding="utf-8")


def test_a_budget_stops_a_run_on_a_real_sdk_provider_with_cache_prices(project: Path) -> None:
    """openai-compatible (the openai SDK) on a loopback server that reports cached tokens:
    each agent costs (600 x input + 400 x cache read + 100 x output) / 1e6 at the profile's
    prices, and a budget of 1.5 agents stops the chain after two."""
    per_agent = (600 * 2.0 + 400 * 0.5 + 100 * 8.0) / 1e6
    prices = (
        "    price_per_million_input_tokens: 2\n    price_per_million_output_tokens: 8\n"
        "    price_per_million_cache_read_tokens: 0.5\n"
    )
    reply = wire.stream(["fine"], usage=None)
    body = [*reply.body[:-1], wire.usage_chunk(1000, 100, cached=400), wire.DONE]
    with FakeHTTPServer(Script(Reply(200, body, content_type="text/event-stream"))) as server:
        _openai_project(project, server.url, prices)
        (project / "oa.yaml").write_text(
            CHAIN.replace("name: chain", "name: oa").replace(
                "model_profile: metered", "model_profile: oa"
            ),
            encoding="utf-8",
        )
        done = llm_orc(
            project, "invoke", "oa.yaml", "-o", "json", "--max-cost", f"{1.5 * per_agent}"
        )
        report = llm_orc(project, "providers", "oa.yaml")
    doc = json.loads(done.stdout)
    first = doc["agents"][0]["usage"]
    assert (first["input_tokens"], first["cache_read_tokens"]) == (1000, 400)
    assert first["cost_usd"] == pytest.approx(per_agent)
    assert doc["stopped_reason"] == "budget"
    assert [a["status"] for a in doc["agents"]] == ["succeeded", "succeeded", "skipped"]
    assert doc["totals"]["usage"]["cost_usd"] == pytest.approx(2 * per_agent)
    assert f"endpoint: {server.url} reachable" in report.stdout
    assert report.returncode == 0, report.stdout


def test_a_loopback_openai_server_without_prices_has_an_unknown_cost(project: Path) -> None:
    with FakeHTTPServer(Script(wire.stream(["fine"]))) as server:
        _openai_project(project, server.url, "")
        (project / "one.yaml").write_text(
            "name: one\nagents:\n  - name: a\n    model_profile: oa\n", encoding="utf-8"
        )
        done = llm_orc(project, "invoke", "one.yaml", "go", "-o", "json")
    usage = json.loads(done.stdout)["agents"][0]["usage"]
    assert usage["cost_usd"] is None
    assert f"the price table knows no provider at {server.url}/v1" in usage["cost_reason"]


def test_the_rich_view_shows_each_agents_cost_and_the_known_part_of_an_unknown_total(
    project: Path,
) -> None:
    (project / "both.yaml").write_text(
        "name: both\nagents:\n  - name: paid\n    model_profile: metered\n"
        "  - name: odd\n    model_profile: mystery\n    depends_on: [paid]\n",
        encoding="utf-8",
    )
    done = llm_orc(project, "invoke", "both.yaml", "go", "-o", "rich")
    assert done.returncode == 0, done.stderr
    assert f"${table_cost():.4f}" in done.stderr  # the paid agent's row, live
    assert f"at least ${table_cost():.4f} (cost unknown for odd)" in done.stdout


def test_a_mixed_ensemble_costs_each_agent_by_its_own_rule_and_sums_them(project: Path) -> None:
    """Four providers in one run: ollama (free), openai-compatible (the profile's prices),
    metered (the price table) and scripted (free); the total is their sum."""
    from support.fake_servers import ollama_wire

    oa_reply = wire.stream(["from openai"], usage=(2000, 300))
    with (
        FakeHTTPServer(Script(oa_reply)) as oa,
        FakeHTTPServer(Script(ollama_wire.stream(["from ollama"]))) as ol,
    ):
        config = CONFIG + (
            f"  oa:\n    provider: openai-compatible\n    model: {wire.MODEL}\n"
            f"    base_url: {oa.url}/v1\n"
            "    price_per_million_input_tokens: 1.5\n    price_per_million_output_tokens: 6\n"
            f"  ol:\n    provider: ollama\n    model: {ollama_wire.MODEL}\n    base_url: {ol.url}\n"
        )
        (project / ".llm-orc" / "config.yaml").write_text(config, encoding="utf-8")
        (project / "mixed.yaml").write_text(
            "name: mixed\nagents:\n"
            "  - name: local\n    model_profile: ol\n"
            "  - name: cloud\n    model_profile: oa\n"
            "  - name: table\n    model_profile: metered\n"
            "  - name: merge\n    model_profile: free\n    depends_on: [local, cloud, table]\n",
            encoding="utf-8",
        )
        done = llm_orc(project, "invoke", "mixed.yaml", "go", "-o", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    cost = {a["name"]: a["usage"]["cost_usd"] for a in doc["agents"]}
    assert doc["agents"][0]["usage"]["input_tokens"] == 21  # Ollama's own prompt_eval_count
    assert cost["local"] == 0
    assert cost["cloud"] == pytest.approx((2000 * 1.5 + 300 * 6) / 1e6)
    assert cost["table"] == pytest.approx(table_cost())
    assert cost["merge"] == 0
    assert doc["totals"]["usage"]["cost_usd"] == pytest.approx(sum(cost.values()))


def test_a_local_profile_whose_model_file_is_missing_cannot_run(project: Path) -> None:
    (project / ".llm-orc" / "config.yaml").write_text(
        CONFIG + "  big:\n    provider: local\n    model: /nowhere/big-model.gguf\n",
        encoding="utf-8",
    )
    (project / "big.yaml").write_text(
        "name: big\nagents:\n  - name: a\n    model_profile: big\n", encoding="utf-8"
    )
    done = llm_orc(project, "providers", "big.yaml")
    assert done.returncode == 1
    assert "FAIL  model: model file '/nowhere/big-model.gguf' does not exist" in done.stdout
