"""`-o rich`: the live view of a run (one row per agent with its status and streaming text, on
standard error), then the final answer and a summary (on standard output)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.console import Console, Group
from rich.live import Live
from rich.markdown import Markdown
from rich.panel import Panel
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from llm_orc.config.ensemble import Ensemble
from llm_orc.execution.events import (
    AgentCancelled,
    AgentFailed,
    AgentFallback,
    AgentFinished,
    AgentQueued,
    AgentRetrying,
    AgentSkipped,
    AgentStarted,
    AgentTextDelta,
    EnsembleFinished,
    EnsembleStarted,
    RunEvent,
    Usage,
)
from llm_orc.execution.result import AgentStatus, RunResult, RunStatus
from llm_orc.formatters.base import FormatterContext

_RECENT_LINES = 4
"""How many of a running agent's latest lines the live view shows (wrapped to the terminal)."""
_NARROW = 100
"""Below this many columns the model moves under the agent's name, leaving room for output."""
_ECHO_ROOM = 2
"""Columns left free at the end of every line of the live view (see `_render`)."""
_STYLES = {
    "waiting": "dim",
    "queued": "dim cyan",
    "running": "cyan",
    "retrying": "yellow",
    "succeeded": "green",
    "failed": "red",
    "skipped": "dim yellow",
    "cancelled": "red",
}


@dataclass
class _Row:
    name: str
    state: str = "waiting"
    model: str = ""
    started: float | None = None
    ended: float | None = None
    chars: int = 0
    attempt: int = 0
    tail: str = ""
    note: str = ""
    fallback: str = ""
    waiting_for: tuple[str, ...] = ()
    spinner: Spinner = field(default_factory=lambda: Spinner("dots", style="cyan"))


class RichFormatter:
    """Renders the event stream while the run goes on (`handle`), then the outcome (`finish`)."""

    def __init__(self, context: FormatterContext) -> None:
        self.console = Console(file=context.err)
        self.out = Console(file=context.out)
        self.ensemble: Ensemble = context.ensemble
        self.rows = {
            agent.name: _Row(agent.name, waiting_for=tuple(agent.depends_on))
            for agent in self.ensemble.agents
        }
        self.spent = Usage()
        """The usage of the agents finished so far: the live cost in the title."""
        # Live re-renders `self` (through __rich__) on its own clock: events only update rows.
        self.live = Live(self, console=self.console, refresh_per_second=12)

    def __rich__(self) -> Table:
        return self._render()

    def handle(self, event: RunEvent) -> None:
        if isinstance(event, EnsembleStarted):
            self.live.start()
            return
        if isinstance(event, EnsembleFinished):
            self.live.stop()
            return
        row = self.rows.get(event.agent)
        if row is None:
            return
        now = time.monotonic()
        if isinstance(event, AgentQueued):
            row.state, row.note = "queued", f"queued for {event.waiting_for}"
        elif isinstance(event, AgentStarted):
            row.state, row.model = "running", f"{event.provider}/{event.model}"
            row.started = row.started or now
            row.note = f"attempt {event.attempt}" if event.attempt > 1 else ""
        elif isinstance(event, AgentTextDelta):
            if event.attempt != row.attempt:  # a new attempt's text never joins the last one's
                row.attempt, row.tail = event.attempt, ""
            row.chars += len(event.text)
            row.tail = (row.tail + event.text)[-400:]
        elif isinstance(event, AgentRetrying):
            row.state, row.note = "retrying", f"retry in {event.delay_seconds:.1f}s: {event.error}"
        elif isinstance(event, AgentFallback):
            row.fallback = f"fell back from '{event.from_profile}' to '{event.to_profile}'"
            row.note = f"{row.fallback}: {event.error}"
        elif isinstance(event, AgentFinished):
            row.state, row.ended = "succeeded", now
            usage = event.usage
            note = f"{usage.input_tokens}+{usage.output_tokens} tokens · {usage.cost_text}"
            row.note = f"{note} · {row.fallback}" if row.fallback else note
            self.spent = self.spent + usage
        elif isinstance(event, AgentFailed):
            row.state, row.ended, row.note = "failed", now, event.error
        elif isinstance(event, AgentCancelled):
            row.state, row.ended, row.note = "cancelled", now, event.reason
        elif isinstance(event, AgentSkipped):
            row.state, row.note = "skipped", event.reason

    def _render(self) -> Table:
        # Two columns short of the terminal: a Ctrl-C echoed as "^C" then fits on the last line,
        # instead of wrapping to a new one that the redraw does not know of (which left the
        # title line behind, duplicated).
        table = Table(
            title=f"[bold]{self.ensemble.name}[/]{_spent(self.spent)}",
            title_justify="left",
            width=max(_ECHO_ROOM * 10, self.console.width - _ECHO_ROOM),
            box=None,
        )
        narrow = self.console.width < _NARROW
        table.add_column("", width=2)
        table.add_column("agent", no_wrap=True)
        if not narrow:
            table.add_column("model", no_wrap=True, style="dim")
        table.add_column("time", justify="right", no_wrap=True)
        table.add_column("output", ratio=1, overflow="fold")
        now = time.monotonic()
        for row in self.rows.values():
            style = _STYLES[row.state]
            icon = row.spinner if row.state == "running" else Text(_icon(row.state), style=style)
            elapsed = ""
            if row.started is not None:
                elapsed = f"{(row.ended or now) - row.started:.1f}s"
            name = Text(row.name, style=style)
            if narrow and row.model:
                name.append(f"\n{row.model}", style="dim")
            cells = [icon, name] if narrow else [icon, name, row.model]
            table.add_row(*cells, elapsed, self._output(row))
        return table

    def _output(self, row: _Row) -> Text:
        """A running agent's latest lines, wrapped; otherwise what the agent waits for, or its
        outcome."""
        if row.state == "running" and row.tail:
            return Text(_recent_lines(row.tail))
        if row.state == "waiting" and row.waiting_for:
            pending = [name for name in row.waiting_for if self.rows[name].state not in _ENDED]
            if pending:
                return Text(f"waiting for {', '.join(pending)}", style="dim")
        return Text(row.note)

    def finish(self, result: RunResult) -> None:
        self.live.stop()  # already stopped unless the run ended without EnsembleFinished
        answer = result.final_answer
        if answer is not None and result.final_agent is not None:
            title = f"final answer — {result.final_agent}"
            cut = result.agent(result.final_agent).finish_reason == "length"
            footer = "[yellow]truncated: the answer was cut at max_tokens[/]" if cut else None
            self.out.print(
                Panel(
                    Markdown(answer),
                    title=title,
                    title_align="left",
                    subtitle=footer,
                    subtitle_align="left",
                )
            )
        self.out.print(_summary(result))


def _icon(state: str) -> str:
    return {
        "waiting": "·",
        "queued": "…",
        "retrying": "↻",
        "succeeded": "✓",
        "failed": "✗",
        "skipped": "-",
        "cancelled": "✗",
    }.get(state, "?")


_ENDED = ("succeeded", "failed", "skipped", "cancelled")


def _recent_lines(text: str) -> str:
    """The last few non-blank lines of TEXT (the table wraps them to its width)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-_RECENT_LINES:])


def _spent(usage: Usage) -> str:
    """The live cost: what the finished agents cost ("cost unknown" once one is unknown)."""
    if usage.total_tokens == 0:
        return ""
    return f" · {usage.cost_text}" if usage.cost is None else f" · ${usage.cost:.4f} so far"


def _cost(result: RunResult) -> str:
    """The run's cost; with an unknown part, the known part and whose cost is unknown."""
    usage = result.usage
    if usage.cost is not None:
        return usage.cost_text
    known = sum(a.usage.cost for a in result.agents if a.usage.cost is not None)
    unknown = [a.name for a in result.agents if a.usage.cost is None]
    return f"at least ${known:.4f} (cost unknown for {', '.join(unknown)})"


def _summary(result: RunResult) -> Group:
    usage = result.usage
    status_style = {
        RunStatus.SUCCEEDED: "green",
        RunStatus.PARTIAL: "yellow",
    }.get(result.status, "red")
    line = Text.assemble(
        (result.status.value, f"bold {status_style}"),
        f" in {result.duration_seconds:.1f}s · ",
        f"{result.count(AgentStatus.SUCCEEDED)}/{len(result.agents)} agents succeeded · ",
        f"{usage.input_tokens} in + {usage.output_tokens} out tokens · {_cost(result)}",
    )
    problems = [  # failures and fallbacks are repeated here in full, after the table
        Text(f"  {agent.name}: {agent.error}", style="red")
        for agent in result.agents
        if agent.status is AgentStatus.FAILED
    ]
    if result.error is not None:
        problems.insert(0, Text(f"  the run failed: {result.error}", style="red"))
    truncated = [
        Text(f"  {agent.name}: truncated (the output was cut at max_tokens)", style="yellow")
        for agent in result.agents
        if agent.finish_reason == "length"
    ]
    switches = [
        Text(
            f"  {agent.name}: fell back from profile '{agent.fallback.from_profile}' to "
            f"'{agent.fallback.to_profile}': {agent.fallback.reason}",
            style="yellow",
        )
        for agent in result.agents
        if agent.fallback is not None
    ]
    hint = Text(
        "  every agent's full output: -o markdown (a report) or -o json",
        style="dim",
    )
    shown = [*problems, *truncated, *switches, *([hint] if len(result.agents) > 1 else [])]
    return Group(line, *shown)
