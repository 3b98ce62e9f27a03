"""`-o jsonl`: every event document as one JSON line on standard output, the moment it happens.

The last line is `ensemble_finished`, carrying the result document. Scripts (and tests) learn
from it what a run is doing while it runs.
"""

from __future__ import annotations

import json

from llm_orc.execution.events import RunEvent, event_to_dict
from llm_orc.execution.result import RunResult
from llm_orc.formatters.base import FormatterContext


class JsonLinesFormatter:
    """Writes and flushes one line per event; nothing more at the end."""

    def __init__(self, context: FormatterContext) -> None:
        self.out = context.out

    def handle(self, event: RunEvent) -> None:
        self.out.write(json.dumps(event_to_dict(event), ensure_ascii=False) + "\n")
        self.out.flush()

    def finish(self, result: RunResult) -> None:
        """Nothing: the `ensemble_finished` line already carried the result."""
