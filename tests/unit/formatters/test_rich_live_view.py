"""The rich live view as a user reads it: running agents' latest lines wrapped to the terminal,
what a waiting agent waits for, and a fallback that stays visible."""

from __future__ import annotations

import io

from rich.console import Console

from llm_orc.config.ensemble import Agent, Ensemble
from llm_orc.execution.events import (
    AgentFallback,
    AgentQueued,
    AgentStarted,
    AgentTextDelta,
)
from llm_orc.formatters.base import FormatterContext
from llm_orc.formatters.rich_live import RichFormatter

HEADER = {"run_id": "r", "seq": 1, "at": 0.0, "time": "2026-12-01T00:00:00.000+00:00"}
LONG = (
    "The function add subtracts instead of adding, so every caller that sums prices gets "
    "a wrong total; the tests never cover negative numbers either."
)


def _screen(formatter: RichFormatter, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, record=True)
    console.print(formatter)
    return console.export_text()


def _formatter(width: int) -> RichFormatter:
    ensemble = Ensemble(
        name="review",
        agents=[
            Agent(name="bugs"),
            Agent(name="style"),
            Agent(name="summary", depends_on=["bugs", "style"]),
        ],
    )
    context = FormatterContext(ensemble=ensemble, out=io.StringIO(), err=io.StringIO())
    formatter = RichFormatter(context)
    formatter.console = Console(file=io.StringIO(), width=width)
    started = {"model": "m", "provider": "local", "profile": "default", "attempt": 1}
    formatter.handle(AgentStarted(**HEADER, agent="bugs", **started))
    formatter.handle(AgentTextDelta(**HEADER, agent="bugs", attempt=1, text="first\n" + LONG))
    formatter.handle(
        AgentQueued(**HEADER, agent="style", waiting_for="a slot of provider 'local' (1 at a time)")
    )
    return formatter


def test_a_running_agents_latest_lines_are_wrapped_not_cut_at_80_columns() -> None:
    screen = _screen(_formatter(80), 80)
    words = " ".join(screen.split())
    assert "first" in words
    assert LONG in words  # every word of the latest line, wrapped over several rows
    assert "local/m" in screen  # the model moves under the name when narrow


def test_what_each_agent_waits_for_is_shown() -> None:
    formatter = _formatter(120)
    screen = " ".join(_screen(formatter, 120).split())
    assert "queued for a slot of provider 'local' (1 at a time)" in screen
    assert "waiting for bugs, style" in screen


def test_a_fallback_stays_visible_after_the_agent_finishes() -> None:
    formatter = _formatter(120)
    formatter.handle(
        AgentFallback(**HEADER, agent="style", from_profile="big", to_profile="local", error="gone")
    )
    screen = " ".join(_screen(formatter, 120).split())
    assert "fell back from 'big' to 'local': gone" in screen
