"""Merging a run's text deltas for a transport, so a client gets a few tens of messages a second
per agent instead of one per token, without waiting for the first text of an attempt.

Rules (the contract's "coalesced deltas"), for event documents pushed in `seq` order:

- The first delta of an agent's attempt is sent at once; so is any delta that comes at least
  `interval` after the last one sent for that agent and attempt.
- Other deltas are merged per agent and attempt: the merged document carries the concatenated
  `text` and the `seq`/`at`/`time` of its last piece. Pending merges are sent `interval` after
  the last send (one timer), so an agent gets at most one timed message per `interval`.
- Before anything else is sent (another event, or a delta sent at once), every pending merge is
  sent first, lowest `seq` first, in one go: what goes out is in `seq` order, and after each
  such batch every event up to its last `seq` has gone out (merged or not), so a client that
  resumes from the last `seq` it saw misses nothing. Only deltas leave gaps in `seq`.

The clock and the timer are injectable, so the rules can be tested without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

DELTA = "agent_text_delta"

COALESCE_SECONDS = 0.05
"""The default time between two timed sends of one agent's merged text."""

Document = dict[str, Any]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


CallLater = Callable[[float, Callable[[], None]], Cancellable]
"""Runs a callback after a delay (seconds); `loop.call_later` by default."""


def loop_call_later(delay: float, callback: Callable[[], None]) -> Cancellable:
    """`call_later` on the running event loop."""
    return asyncio.get_running_loop().call_later(delay, callback)


class DeltaCoalescer:
    """Sends event documents through SEND, merging text deltas by the module's rules."""

    def __init__(
        self,
        send: Callable[[Document], None],
        *,
        interval: float = COALESCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        call_later: CallLater = loop_call_later,
    ) -> None:
        self._send = send
        self._interval = interval
        self._clock = clock
        self._call_later = call_later
        self._pending: dict[tuple[str, int], Document] = {}
        self._last_sent: dict[tuple[str, int], float] = {}
        self._timer: Cancellable | None = None
        self._due = 0.0

    def push(self, document: Document) -> None:
        """Send DOCUMENT now, or hold it to merge with the next deltas of its agent+attempt."""
        if document.get("type") != DELTA:
            self.flush()
            self._send(document)
            return
        key = (str(document.get("agent")), int(document.get("attempt") or 1))
        pending = self._pending.get(key)
        if pending is not None:
            self._pending[key] = {**document, "text": pending["text"] + document["text"]}
            return
        now = self._clock()
        last = self._last_sent.get(key)
        if last is None or now - last >= self._interval:
            self.flush()
            self._send(document)
            self._last_sent[key] = now
            return
        self._pending[key] = dict(document)
        self._schedule(last + self._interval - now)

    def flush(self) -> None:
        """Send every pending merge now, lowest `seq` first."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        now = self._clock()
        pending = sorted(self._pending.items(), key=lambda item: int(item[1].get("seq") or 0))
        self._pending.clear()
        for key, document in pending:
            self._send(document)
            self._last_sent[key] = now

    close = flush
    """At the end of a stream: nothing stays pending, no timer stays armed."""

    def _schedule(self, delay: float) -> None:
        due = self._clock() + delay
        if self._timer is not None:
            if due >= self._due:
                return
            self._timer.cancel()
        self._due = due
        self._timer = self._call_later(max(0.0, delay), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.flush()


def coalesced(documents: list[Document]) -> list[Document]:
    """DOCUMENTS (one run's, in `seq` order) with their deltas merged as if they all came at
    once: what a replay sends."""
    out: list[Document] = []
    coalescer = DeltaCoalescer(out.append, clock=lambda: 0.0, call_later=_never)
    for document in documents:
        coalescer.push(document)
    coalescer.close()
    return out


class _Never:
    def cancel(self) -> None:
        return None


def _never(delay: float, callback: Callable[[], None]) -> Cancellable:
    """A timer that never fires: the caller flushes."""
    return _Never()
