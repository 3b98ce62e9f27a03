"""`-o text`: only the final answer on standard output; agent failures on standard error."""

from __future__ import annotations

from llm_orc.execution.events import RunEvent
from llm_orc.execution.result import RunResult
from llm_orc.formatters.base import FormatterContext


class TextFormatter:
    """Prints what a pipe wants: the answer, nothing else on standard output."""

    def __init__(self, context: FormatterContext) -> None:
        self.out, self.err = context.out, context.err

    def handle(self, event: RunEvent) -> None:
        """Nothing: only the result is printed."""

    def finish(self, result: RunResult) -> None:
        if result.error is not None:
            self.err.write(f"llm-orc: the run failed: {result.error}\n")
        for agent in result.agents:
            if agent.fallback is not None:  # never silent: one line, the answer stays clean
                switch = agent.fallback
                self.err.write(
                    f"llm-orc: agent '{agent.name}' fell back from profile '{switch.from_profile}' "
                    f"to '{switch.to_profile}': {switch.reason}\n"
                )
            if agent.finish_reason == "length":
                self.err.write(
                    f"llm-orc: agent '{agent.name}' was truncated: its output was cut at "
                    "max_tokens\n"
                )
            if agent.error is not None:
                status = agent.status.value
                self.err.write(f"llm-orc: agent '{agent.name}' {status}: {agent.error}\n")
        answer = result.final_answer
        if answer is not None:
            self.out.write(answer.rstrip("\n") + "\n")
