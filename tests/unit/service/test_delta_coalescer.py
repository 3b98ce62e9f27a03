"""Coalescing text deltas for a transport: a hand-driven clock and timer, no waiting."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from llm_orc.execution.delta_coalescer import DeltaCoalescer, coalesced


class Timer:
    def __init__(self, due: float, callback: Callable[[], None]) -> None:
        self.due, self.callback, self.cancelled = due, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """The injected clock and `call_later`: time moves and timers fire only when told."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[Timer] = []

    def __call__(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    def armed(self) -> list[Timer]:
        return [t for t in self.timers if not t.cancelled]

    def advance(self, seconds: float) -> None:
        """Move time on by SECONDS, firing each timer that falls due, at its moment."""
        target = self.now + seconds
        while due := [t for t in self.armed() if t.due <= target]:
            timer = min(due, key=lambda t: t.due)
            self.timers.remove(timer)
            self.now = timer.due
            timer.callback()
        self.now = target

    def fire(self) -> None:
        """Advance to the one armed timer's moment."""
        [timer] = self.armed()
        self.advance(timer.due - self.now)


class Stream:
    """Event documents of one run, numbered as the engine numbers them."""

    def __init__(self) -> None:
        self.seq = 0

    def event(self, type_: str, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        return {"type": type_, "run_id": "r", "seq": self.seq, "at": self.seq / 10, **fields}

    def delta(self, agent: str, text: str, attempt: int = 1) -> dict[str, Any]:
        return self.event("agent_text_delta", agent=agent, attempt=attempt, text=text)


def setup() -> tuple[DeltaCoalescer, list[dict[str, Any]], Clock, Stream]:
    sent: list[dict[str, Any]] = []
    clock = Clock()
    coalescer = DeltaCoalescer(sent.append, interval=0.05, clock=clock, call_later=clock.call_later)
    return coalescer, sent, clock, Stream()


def texts(sent: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(d.get("agent", ""), d.get("text", d["type"]), d["seq"]) for d in sent]


def test_the_first_delta_of_an_attempt_goes_at_once_and_the_rest_wait_for_the_timer() -> None:
    coalescer, sent, clock, stream = setup()
    coalescer.push(stream.delta("a", "The "))
    assert texts(sent) == [("a", "The ", 1)]  # no waiting for the first text
    for word in ("quick ", "brown ", "fox"):
        coalescer.push(stream.delta("a", word))
    assert len(sent) == 1
    [timer] = clock.armed()
    assert timer.due == 0.05
    clock.fire()
    assert texts(sent) == [("a", "The ", 1), ("a", "quick brown fox", 4)]
    assert sent[1]["at"] == 0.4  # the last piece's time and seq


def test_a_delta_long_after_the_last_send_goes_at_once() -> None:
    coalescer, sent, clock, stream = setup()
    coalescer.push(stream.delta("a", "slow "))
    clock.now = 0.2
    coalescer.push(stream.delta("a", "tokens"))
    assert texts(sent) == [("a", "slow ", 1), ("a", "tokens", 2)]
    assert clock.armed() == []


def test_any_other_event_flushes_pending_text_first_so_order_holds() -> None:
    coalescer, sent, clock, stream = setup()
    coalescer.push(stream.delta("a", "one "))
    coalescer.push(stream.delta("a", "two"))
    coalescer.push(stream.event("agent_finished", agent="a", output="one two"))
    assert texts(sent) == [("a", "one ", 1), ("a", "two", 2), ("a", "agent_finished", 3)]
    assert clock.armed() == []  # the timer was disarmed by the flush


def test_a_new_attempt_is_never_glued_to_the_last_one() -> None:
    coalescer, sent, _clock, stream = setup()
    coalescer.push(stream.delta("a", "first "))
    coalescer.push(stream.delta("a", "try"))
    coalescer.push(stream.delta("a", "second", attempt=2))
    assert [(d["attempt"], d["text"]) for d in sent] == [(1, "first "), (1, "try"), (2, "second")]


def test_interleaved_agents_are_merged_each_and_sent_in_seq_order() -> None:
    coalescer, sent, clock, stream = setup()
    coalescer.push(stream.delta("a", "a1 "))  # 1, at once
    coalescer.push(stream.delta("b", "b1 "))  # 2, at once
    for i in range(2, 5):
        coalescer.push(stream.delta("a", f"a{i} "))
        coalescer.push(stream.delta("b", f"b{i} "))
    assert len(clock.armed()) == 1  # one timer for the run, not one per agent
    clock.fire()
    assert texts(sent) == [
        ("a", "a1 ", 1),
        ("b", "b1 ", 2),
        ("a", "a2 a3 a4 ", 7),
        ("b", "b2 b3 b4 ", 8),
    ]


def test_a_steady_stream_is_at_most_one_message_per_interval_per_agent() -> None:
    coalescer, sent, clock, stream = setup()
    for _ in range(1000):  # a token a millisecond for one second
        clock.advance(0.001)
        coalescer.push(stream.delta("a", "x"))
    coalescer.close()
    assert "".join(d["text"] for d in sent) == "x" * 1000
    assert 19 <= len(sent) <= 1 + 20 + 1  # the first at once, one per 50 ms, the close


def test_close_sends_what_is_pending() -> None:
    coalescer, sent, clock, stream = setup()
    coalescer.push(stream.delta("a", "x"))
    coalescer.push(stream.delta("a", "y"))
    coalescer.close()
    assert texts(sent) == [("a", "x", 1), ("a", "y", 2)]
    assert clock.armed() == []


def test_a_replay_merges_each_attempt_between_other_events() -> None:
    stream = Stream()
    documents = [
        stream.event("ensemble_started"),
        stream.delta("a", "a "),
        stream.delta("a", "b "),
        stream.delta("a", "c"),
        stream.event("agent_finished", agent="a"),
        stream.event("ensemble_finished"),
    ]
    assert texts(coalesced(documents)) == [
        ("", "ensemble_started", 1),
        ("a", "a ", 2),
        ("a", "b c", 4),
        ("a", "agent_finished", 5),
        ("", "ensemble_finished", 6),
    ]


def test_merging_keeps_every_agents_text_and_the_seq_order() -> None:
    rng = random.Random(11)
    for _ in range(300):  # random interleavings of 3 agents, 2 attempts, other events
        stream = Stream()
        documents = [
            stream.delta(agent, f"{agent}{attempt}.{i} ", attempt)
            if rng.random() < 0.8
            else stream.event("agent_started", agent=agent)
            for i in range(rng.randrange(40))
            for agent, attempt in [(rng.choice("abc"), rng.choice((1, 2)))]
        ]
        out = coalesced(documents)
        seqs = [d["seq"] for d in out]
        assert seqs == sorted(set(seqs))
        assert {d["seq"] for d in documents if d["type"] != "agent_text_delta"} <= set(seqs)
        for key in {(d.get("agent"), d.get("attempt")) for d in documents}:
            assert _text(out, key) == _text(documents, key)


def _text(documents: list[dict[str, Any]], key: tuple[Any, Any]) -> str:
    return "".join(
        d["text"]
        for d in documents
        if d["type"] == "agent_text_delta" and (d["agent"], d["attempt"]) == key
    )
