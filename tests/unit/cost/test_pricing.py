"""Prices: the genai-prices table, a profile's prices on top, free local models, and unknown
costs that stay unknown (None with a reason) instead of becoming 0."""

from __future__ import annotations

from typing import ClassVar

import genai_prices
import pytest

from llm_orc.config.ensemble import Agent
from llm_orc.config.profiles import ModelProfile
from llm_orc.execution.agent_settings import resolve_settings
from llm_orc.execution.events import AgentFinished, RunEvent, Usage, event_to_dict
from llm_orc.execution.result import RunResult
from llm_orc.execution.runner import run
from llm_orc.pricing.cost import pricing_for
from llm_orc.providers.base import Generation, GenerationRequest, TextSink, TokenUsage
from llm_orc.providers.registry import register_provider
from support.ensembles import agent, ensemble, scripted_profiles

NO_PRICES: dict[str, float | None] = {}


def test_a_cloud_model_is_priced_by_the_table_including_its_cache_tokens() -> None:
    pricing = pricing_for("anthropic", "claude-sonnet-4-20250514", None, NO_PRICES)
    assert pricing.source == "table" and pricing.known
    rates = pricing.per_million
    assert rates["cache_read"] < rates["input"] < rates["cache_write"]
    cost = pricing.cost(10_000, 2_000, cache_read_tokens=4_000, cache_write_tokens=1_000)
    by_hand = (
        5_000 * rates["input"]
        + 4_000 * rates["cache_read"]
        + 1_000 * rates["cache_write"]
        + 2_000 * rates["output"]
    ) / 1e6
    assert cost == pytest.approx(by_hand)
    table = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=10_000,
            cache_read_tokens=4_000,
            cache_write_tokens=1_000,
            output_tokens=2_000,
        ),
        "claude-sonnet-4-20250514",
        provider_id="anthropic",
    )
    assert cost == pytest.approx(float(table.total_price))


def test_aliases_and_the_openai_endpoint_reach_the_same_table() -> None:
    google = pricing_for("google", "gemini-2.5-flash", None, NO_PRICES)
    assert pricing_for("google-gemini", "gemini-2.5-flash", None, NO_PRICES) == google
    openai = pricing_for("openai-compatible", "gpt-4o", None, NO_PRICES)
    assert openai.source == "table" and openai.table_model == "openai gpt-4o"
    by_url = pricing_for("openai-compatible", "gpt-4o", "https://api.openai.com/v1/", NO_PRICES)
    assert by_url.per_million == openai.per_million


def test_a_profile_price_overrides_the_table_field_by_field() -> None:
    table = pricing_for("anthropic", "claude-sonnet-4-20250514", None, NO_PRICES)
    mixed = pricing_for("anthropic", "claude-sonnet-4-20250514", None, {"output": 1.0})
    assert mixed.source == "table+profile"
    assert mixed.per_million["output"] == 1.0
    assert mixed.per_million["input"] == table.per_million["input"]
    assert mixed.cost(0, 1_000_000) == pytest.approx(1.0)


def test_a_profile_with_its_own_input_and_output_prices_needs_no_table() -> None:
    pricing = pricing_for("some-plugin", "no-such-model", None, {"input": 2.0, "output": 4.0})
    assert pricing.source == "profile"
    assert pricing.per_million["cache_read"] == 2.0  # a cache is never billed above the input
    assert pricing.cost(1_000_000, 1_000_000) == pytest.approx(6.0)


@pytest.mark.parametrize(
    ("provider", "model", "base_url", "why"),
    [
        ("anthropic", "claude-from-the-future", None, "not in the price table"),
        ("some-plugin", "m", None, "provider 'some-plugin' is not in the price table"),
        ("openai-compatible", "smollm2", "http://127.0.0.1:8080/v1", "no provider at"),
    ],
)
def test_an_unknown_price_is_unknown_with_what_to_set(
    provider: str, model: str, base_url: str | None, why: str
) -> None:
    pricing = pricing_for(provider, model, base_url, NO_PRICES, profile="p")
    assert not pricing.known
    assert pricing.cost(100, 100) is None
    assert pricing.reason is not None and why in pricing.reason
    assert "price_per_million_output_tokens on profile 'p'" in pricing.reason
    assert pricing.describe().startswith("cost unknown: ")


def test_models_that_run_here_cost_nothing() -> None:
    for provider in ("local", "ollama", "scripted"):
        pricing = pricing_for(provider, "anything", None, NO_PRICES)
        assert pricing.source == "free"
        assert pricing.cost(10**6, 10**6) == 0.0


def test_an_agents_own_model_is_not_priced_by_its_profiles_prices() -> None:
    profile = ModelProfile(
        name="default",
        model="smollm2-135m-instruct",
        provider="local",
        price_per_million_input_tokens=0.0,
        price_per_million_output_tokens=0.0,
    )
    own = Agent(name="a", model="claude-sonnet-4-20250514", provider="anthropic")
    pricing = resolve_settings(own, profile).pricing()
    assert pricing.source == "table"
    assert resolve_settings(Agent(name="b"), profile).pricing().source == "profile"


def test_a_sum_with_an_unknown_part_is_unknown_and_keeps_each_reason_once() -> None:
    known = Usage(10, 5, 0.5)
    unknown = Usage.of(TokenUsage(10, 5), None, "no price for m")
    total = known + unknown + unknown + Usage.of(TokenUsage(1, 1), None, "no price for n")
    assert total.cost is None
    assert total.cost_reason == "no price for m; no price for n"
    doc = total.to_document()
    assert doc["cost_usd"] is None and doc["cost_reason"] == total.cost_reason
    assert (known + known).to_document()["cost_reason"] is None


class _Unpriced:
    """A provider no table knows, declaring nothing about its prices."""

    name: ClassVar[str] = "unpriced"
    default_max_concurrency: ClassVar[int | None] = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        on_text("some words here")
        return Generation(text="some words here", input_tokens=3, output_tokens=3, model="m")


async def test_an_unknown_cost_reaches_the_events_the_result_and_the_totals() -> None:
    register_provider("unpriced", _Unpriced)
    profiles = scripted_profiles()
    profiles["mystery"] = ModelProfile(name="mystery", model="m", provider="unpriced")
    events: list[RunEvent] = []
    ens = ensemble(agent("free"), agent("paid", "free", profile="mystery"))
    result = await run(ens, "go", profiles=profiles, on_event=events.append)
    finished = {e.agent: event_to_dict(e)["usage"] for e in events if isinstance(e, AgentFinished)}
    assert finished["free"]["cost_usd"] == 0
    assert finished["paid"]["cost_usd"] is None
    assert "provider 'unpriced' is not in the price table" in finished["paid"]["cost_reason"]
    doc = result.to_document()
    assert doc["totals"]["usage"]["cost_usd"] is None
    assert doc["totals"]["usage"]["cost_reason"] == finished["paid"]["cost_reason"]
    assert RunResult.from_document(doc).to_document() == doc
