"""The CLI's event loop: like `asyncio.run`, except that tearing it down takes a bounded time.

`asyncio.run` waits, after its coroutine returned, for every task still pending and for every
thread of the default executor: a provider that swallows cancellation, or blocks a thread in a
call that never returns, would keep `llm-orc` running after the run has ended. Here the teardown
waits at most `grace` seconds and says whether it finished; the caller then exits without
waiting for what is left (after writing its output).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

TEARDOWN_GRACE_SECONDS = 2.0
_THREAD_PREFIX = "llm-orc-default"


@dataclass(frozen=True, slots=True)
class Finished(Generic[T]):
    value: T
    left_behind: int
    """Tasks and executor shutdowns still going when the teardown gave up (0: a clean end)."""


def run_bounded(main: Coroutine[Any, Any, T], grace: float = TEARDOWN_GRACE_SECONDS) -> Finished[T]:
    """Run MAIN on a new event loop, then cancel what is left and shut down within GRACE."""
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(thread_name_prefix=_THREAD_PREFIX)
    loop.set_default_executor(executor)  # ours, so that its threads can be waited for in time
    asyncio.set_event_loop(loop)
    left_behind = 0
    try:
        value = loop.run_until_complete(main)
    finally:
        deadline = time.monotonic() + grace
        left_behind = loop.run_until_complete(_cancel_tasks(loop, grace))
        loop.run_until_complete(loop.shutdown_asyncgens())
        executor.shutdown(wait=False, cancel_futures=True)
        left_behind += _join_threads(deadline)
        asyncio.set_event_loop(None)
        if not left_behind:
            loop.close()  # with work left behind the loop stays open: the process exits anyway
    return Finished(value, left_behind)


async def _cancel_tasks(loop: asyncio.AbstractEventLoop, grace: float) -> int:
    """Cancel every task but this one; how many had not ended within GRACE."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks(loop) if task is not current]
    if not tasks:
        return 0
    for task in tasks:
        task.cancel()
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception while the run shut down",
                    "exception": task.exception(),
                    "task": task,
                }
            )
    return len(pending)


def _join_threads(deadline: float) -> int:
    """Wait until DEADLINE for the default executor's threads; how many still run."""
    still = 0
    for thread in threading.enumerate():
        if thread.name.startswith(_THREAD_PREFIX):
            thread.join(max(0.0, deadline - time.monotonic()))
            still += thread.is_alive()
    return still
