"""Reading `llm-orc invoke -o jsonl` while it runs: wait for an event the process announced."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import IO, Any


class EventLines:
    """The event documents a process writes, one per line, read on a thread so that a test can
    wait for one with a deadline (the deadline only turns a hang into a failure)."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)

    def until(self, check: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """The first event CHECK accepts; fails if the process ends or none comes in time."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("no such event came in time") from None
            if line is None:
                raise AssertionError("the process ended before the event came")
            event: dict[str, Any] = json.loads(line)
            self.seen.append(event)
            if check(event):
                return event

    def rest(self, timeout: float) -> list[dict[str, Any]]:
        """Every event seen, once the stream has ended."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the process kept its output open"
        while (line := self._lines.get_nowait()) is not None:
            self.seen.append(json.loads(line))
        return self.seen
