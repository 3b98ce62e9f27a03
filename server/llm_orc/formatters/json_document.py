"""`-o json`: the result document (`schema/result.schema.json`), once the run has ended."""

from __future__ import annotations

import json

from llm_orc.execution.events import RunEvent
from llm_orc.execution.result import RunResult
from llm_orc.formatters.base import FormatterContext


class JsonFormatter:
    """Ignores the events; prints the result document, indented."""

    def __init__(self, context: FormatterContext) -> None:
        self.out = context.out

    def handle(self, event: RunEvent) -> None:
        """Nothing: only the result is printed."""

    def finish(self, result: RunResult) -> None:
        self.out.write(json.dumps(result.to_document(), indent=2, ensure_ascii=False) + "\n")
