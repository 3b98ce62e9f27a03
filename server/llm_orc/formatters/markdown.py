"""`-o markdown`: a report of the run — the final answer, then one section per agent (status,
model, duration, tokens, cost, fallback or failure, and its output)."""

from __future__ import annotations

from llm_orc.execution.events import RunEvent, Usage
from llm_orc.execution.result import AgentResult, AgentStatus, RunResult
from llm_orc.formatters.base import FormatterContext


class MarkdownFormatter:
    """Prints the report once the run has ended; events are not shown."""

    def __init__(self, context: FormatterContext) -> None:
        self.out = context.out

    def handle(self, event: RunEvent) -> None:
        """Nothing: the report is written from the result."""

    def finish(self, result: RunResult) -> None:
        self.out.write(render_markdown(result))


def render_markdown(result: RunResult) -> str:
    """The whole report, ending with one newline."""
    succeeded = result.count(AgentStatus.SUCCEEDED)
    lines = [
        f"# {result.ensemble}: {result.status.value}",
        "",
        f"{succeeded} of {len(result.agents)} agents succeeded in "
        f"{result.duration_seconds:.1f} s · {_usage(result.usage)}",
        "",
        *([f"**The run failed:** {_cell(result.error)}", ""] if result.error is not None else []),
        "## Final answer" + (f" ({result.final_agent})" if result.final_agent else ""),
        "",
        _block(result.final_answer) if result.final_answer is not None else "_No final answer._",
        "",
        "## Agents",
        "",
    ]
    for agent in result.agents:
        lines += _agent_section(agent)
    return "\n".join(lines).rstrip("\n") + "\n"


def _agent_section(agent: AgentResult) -> list[str]:
    model = f"{agent.provider}/{agent.model}" if agent.provider else agent.model or "-"
    if agent.profile:
        model += f" (profile {agent.profile})"
    duration = agent.duration_seconds
    lines = [
        f"### {agent.name}: {agent.status.value}",
        "",
        "| model | duration | attempts | tokens | cost |",
        "| --- | --- | --- | --- | --- |",
        f"| {_cell(model)} | {'-' if duration is None else f'{duration:.2f} s'} "
        f"| {agent.attempts} | {agent.usage.input_tokens} in + {agent.usage.output_tokens} out "
        f"| {agent.usage.cost_text} |",
        "",
    ]
    if agent.finish_reason == "length":
        lines += ["**Truncated**: the output was cut at max_tokens.", ""]
    if agent.fallback is not None:
        lines += [
            f"**Fallback**: from profile `{agent.fallback.from_profile}` to "
            f"`{agent.fallback.to_profile}`: {agent.fallback.reason}",
            "",
        ]
    if agent.error is not None:
        label = {AgentStatus.SKIPPED: "Skipped", AgentStatus.CANCELLED: "Cancelled"}.get(
            agent.status, "Error"
        )
        lines += [f"**{label}** ({agent.error_type or 'error'}): {agent.error}", ""]
    if agent.output is not None:
        lines += [_block(agent.output), ""]
    return lines


def _usage(usage: Usage) -> str:
    return f"{usage.input_tokens} in + {usage.output_tokens} out tokens · {usage.cost_text}"


def _block(text: str) -> str:
    """An agent's text as written (it is usually Markdown itself), or a note when empty."""
    stripped = text.strip("\n")
    return stripped if stripped.strip() else "_(empty output)_"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
