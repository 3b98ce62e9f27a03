"""What an agent is asked: the ensemble input and its dependencies' results.

Without a `prompt_template`, the user message is the input, then one block per dependency:

    <input>

    Results from other agents:

    ## <dependency name>
    <its output>

A dependency that failed or was skipped (possible with `on_dependency_failure: continue`) shows
`(no result: <reason>)` instead of output. With a template, `{input}` and `{deps.NAME}` are
replaced and every other brace is left as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llm_orc.config.ensemble import Agent
from llm_orc.validation.references import PLACEHOLDER

JSON_INSTRUCTION = "Respond with a single JSON object and nothing else."


@dataclass(frozen=True, slots=True)
class DependencyOutcome:
    """A dependency's output, or why there is none."""

    output: str | None
    problem: str | None = None

    def render(self) -> str:
        return self.output if self.output is not None else f"(no result: {self.problem})"


def build_prompt(agent: Agent, task: str, deps: Mapping[str, DependencyOutcome]) -> str:
    """The user message for AGENT given the ensemble input and its dependencies' outcomes."""
    if agent.prompt_template is not None:
        return PLACEHOLDER.sub(lambda m: _substitute(m, task, deps), agent.prompt_template)
    if not agent.depends_on:
        return task
    blocks = [
        f"## {name}\n{deps[name].render().rstrip()}" for name in agent.depends_on if name in deps
    ]
    return f"{task.rstrip()}\n\nResults from other agents:\n\n" + "\n\n".join(blocks)


def build_system_prompt(
    base: str, *, json_output: bool, json_schema: dict[str, Any] | None = None
) -> str:
    """The system prompt, with the request for JSON (and its schema) when the agent needs it."""
    if not json_output:
        return base
    if json_schema is None:
        return f"{base}\n\n{JSON_INSTRUCTION}"
    schema = json.dumps(json_schema, separators=(",", ":"))
    return f"{base}\n\n{JSON_INSTRUCTION} It must match this JSON Schema: {schema}"


def _substitute(match: re.Match[str], task: str, deps: Mapping[str, DependencyOutcome]) -> str:
    if match.group(1) == "input":
        return task
    outcome = deps.get(match.group(2))
    return match.group(0) if outcome is None else outcome.render()
