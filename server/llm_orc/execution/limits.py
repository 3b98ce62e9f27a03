"""Concurrency slots. A provider's `max_concurrency` and a profile's cap are shared by every run
of the process (per event loop: asyncio primitives belong to one loop); a run's own cap is its
own. An agent holds all its slots while it generates, and waits for them visibly (queued)."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable, Sequence


class Slot:
    """Up to `capacity` holders at once, first come first served; `waiting_for` says what an
    agent that has to wait for it is waiting for."""

    __slots__ = ("_semaphore", "capacity", "waiting_for")

    def __init__(self, capacity: int, waiting_for: str) -> None:
        self._semaphore = asyncio.Semaphore(capacity)
        self.capacity = capacity
        self.waiting_for = waiting_for

    def busy(self) -> bool:
        """Whether acquiring now would wait (no free place, or others already waiting)."""
        return self._semaphore.locked()

    async def acquire(self) -> None:
        await self._semaphore.acquire()

    def release(self) -> None:
        self._semaphore.release()


class SharedLimits:
    """The process-wide slots of one event loop, by provider and by profile."""

    def __init__(self) -> None:
        self._slots: dict[tuple[str, str, int], Slot] = {}

    def provider(self, name: str, capacity: int) -> Slot:
        return self._slot("provider", name, capacity)

    def profile(self, name: str, capacity: int) -> Slot:
        return self._slot("profile", name, capacity)

    def _slot(self, kind: str, name: str, capacity: int) -> Slot:
        key = (kind, name, capacity)
        slot = self._slots.get(key)
        if slot is None:
            slot = Slot(capacity, f"a slot of {kind} '{name}' ({capacity} at a time)")
            self._slots[key] = slot
        return slot


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SharedLimits] = (
    weakref.WeakKeyDictionary()
)


def shared_limits() -> SharedLimits:
    """The slots shared by every run on the running event loop."""
    loop = asyncio.get_running_loop()
    limits = _by_loop.get(loop)
    if limits is None:
        limits = _by_loop[loop] = SharedLimits()
    return limits


@contextlib.asynccontextmanager
async def holding(slots: Sequence[Slot], on_queued: Callable[[Slot], None]) -> AsyncIterator[None]:
    """Hold every one of SLOTS (acquired in the order given, released on exit, also when
    cancelled while waiting). ON_QUEUED is called once, with the first slot that makes it wait."""
    held: list[Slot] = []
    queued = False
    try:
        for slot in slots:
            if not queued and slot.busy():
                queued = True
                on_queued(slot)
            await slot.acquire()
            held.append(slot)
        yield
    finally:
        for slot in reversed(held):
            slot.release()
