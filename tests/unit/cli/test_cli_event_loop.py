"""The CLI's event loop ends in bounded time whatever provider work is left when the run ends."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from llm_orc.cli.event_loop import run_bounded

GRACE = 0.05
"""For work that never ends: the teardown must give up after this long."""
CLEAN_GRACE = 60.0
"""For work that ends: a clean teardown returns as soon as it is done, so a loaded machine that
takes a while to schedule the executor's threads never turns it into "left behind"."""


def test_a_clean_run_leaves_nothing_behind() -> None:
    async def main() -> int:
        await asyncio.to_thread(lambda: None)
        return 7

    started = time.monotonic()
    finished = run_bounded(main(), CLEAN_GRACE)
    assert (finished.value, finished.left_behind) == (7, 0)
    assert time.monotonic() - started < CLEAN_GRACE / 2  # it did not wait out the grace


def test_a_task_that_swallows_cancellation_is_left_behind_in_bounded_time() -> None:
    released = False
    orphan: asyncio.Task[None] | None = None

    async def deaf() -> None:
        while not released:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)

    async def main() -> str:
        nonlocal orphan
        orphan = asyncio.create_task(deaf())
        await asyncio.sleep(0)
        return "done"

    started = time.monotonic()
    finished = run_bounded(main(), GRACE)
    assert time.monotonic() - started < 5
    assert (finished.value, finished.left_behind) == ("done", 1)
    assert orphan is not None
    released = True  # end it on its (still open) loop, so that nothing leaks from this test
    orphan.cancel()
    loop = orphan.get_loop()
    loop.run_until_complete(asyncio.wait([orphan]))
    loop.close()


def test_a_thread_blocked_in_a_call_is_left_behind_in_bounded_time() -> None:
    gate = threading.Event()
    loops: list[asyncio.AbstractEventLoop] = []

    async def main() -> str:
        loop = asyncio.get_running_loop()
        loops.append(loop)
        blocked = loop.run_in_executor(None, gate.wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(blocked, 0.001)  # the await is cancelled; the thread is not
        return "done"

    started = time.monotonic()
    finished = run_bounded(main(), GRACE)
    assert time.monotonic() - started < 5
    assert (finished.value, finished.left_behind) == ("done", 1)
    gate.set()
    loops[0].close()
