"""A caller that must not wait for the price table (the language server) gets the budget check
left out, and told so, while the table is not loaded; everyone else gets it in full."""

from __future__ import annotations

import threading

import pytest

from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.pricing import table
from llm_orc.validation import validate_ensemble_text

TEXT = """\
name: budgeted
max_cost: 1
agents:
  - name: priced
    model_profile: own-prices
  - name: odd
    model_profile: mystery
  - name: here
    model_profile: local-one
"""


def _profiles() -> dict[str, ModelProfile]:
    found = builtin_profiles()
    found["mystery"] = ModelProfile("mystery", "a-model-no-table-knows", "anthropic")
    found["own-prices"] = ModelProfile(
        "own-prices",
        "m",
        "anthropic",
        price_per_million_input_tokens=1.0,
        price_per_million_output_tokens=2.0,
    )
    found["local-one"] = ModelProfile("local-one", "smollm2-135m-instruct", "local")
    return found


@pytest.fixture
def table_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as if nothing had looked a price up yet (the table's own flag, fresh)."""
    monkeypatch.setattr(table, "_loaded", threading.Event())


@pytest.mark.usefixtures("table_not_loaded")
def test_without_waiting_the_agents_that_need_the_table_are_left_out_and_the_report_says_so() -> (
    None
):
    report = validate_ensemble_text(TEXT, profiles=_profiles(), wait_for_prices=False)
    assert [d.code for d in report.diagnostics] == []
    assert report.waits_for_prices
    assert not table.table_loaded()  # nothing was imported or looked up on this thread


@pytest.mark.usefixtures("table_not_loaded")
def test_by_default_the_check_waits_for_the_table_and_marks_it_loaded() -> None:
    report = validate_ensemble_text(TEXT, profiles=_profiles())
    [warning] = report.diagnostics
    assert warning.code == "unknown-cost" and warning.message.startswith("agent 'odd'")
    assert not report.waits_for_prices
    assert table.table_loaded()
    again = validate_ensemble_text(TEXT, profiles=_profiles(), wait_for_prices=False)
    assert again.diagnostics == report.diagnostics and not again.waits_for_prices


def test_an_ensemble_without_max_cost_never_waits() -> None:
    text = TEXT.replace("max_cost: 1\n", "")
    report = validate_ensemble_text(text, profiles=_profiles(), wait_for_prices=False)
    assert report.diagnostics == [] and not report.waits_for_prices
