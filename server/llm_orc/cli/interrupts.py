"""Ctrl-C for `llm-orc invoke`: SIGINT or SIGTERM cancels the run, which then ends with what
finished; a second one exits at once, without the result.

The handling is installed explicitly, so it holds even when the process was started with SIGINT
ignored (as a shell without job control starts background commands). Before the run starts, a
signal interrupts whatever is going on (`KeyboardInterrupt`: nothing has run yet). While the run
goes, signals reach the event loop through its wakeup file descriptor, so they are seen at once
whichever thread the operating system delivers them to (model threads included).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from llm_orc.cli.main import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from llm_orc.execution.scheduler import EnsembleRun

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """The signal handling of one `invoke`: `install()` first, `attach()` while the run goes,
    `restore()` at the end."""

    def __init__(
        self,
        *,
        exit_now: Callable[[int], Any] = os._exit,
        stderr: TextIO | None = None,
    ) -> None:
        self.count = 0
        self._exit_now = exit_now
        self._stderr = stderr
        self._saved: dict[int, Any] = {}
        self._before_exit: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self) -> None:
        """From now on, until the run starts, a signal raises KeyboardInterrupt."""
        for signum in SIGNALS:
            self._saved.setdefault(signum, signal.getsignal(signum))
            signal.signal(signum, _interrupt)

    def before_exit(self, action: Callable[[], None]) -> None:
        """Run ACTION (e.g. restore the terminal) before a second signal exits the process."""
        self._before_exit.append(action)

    def attach(self, run: EnsembleRun) -> None:
        """While RUN goes (call it on the run's event loop): the first signal cancels it, the
        next exits at once."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        for signum in SIGNALS:
            loop.add_signal_handler(signum, self._on_signal, run)

    def detach(self) -> None:
        """The run ended: back to KeyboardInterrupt for what is left (printing the result)."""
        if self._loop is not None:
            for signum in SIGNALS:
                self._loop.remove_signal_handler(signum)
            self._loop = None
        for signum in SIGNALS:
            signal.signal(signum, _interrupt)

    def restore(self) -> None:
        """Put back the handlers the process had before `install()`."""
        self.detach()
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()

    def exit_now(self) -> None:
        """Exit at once (status 130), without the result and without waiting for anything."""
        stderr = self._stderr or sys.stderr
        for action in self._before_exit:
            action()
        print("llm-orc: interrupted again: exiting without the result", file=stderr)
        stderr.flush()
        self._exit_now(EXIT_INTERRUPTED)

    def _on_signal(self, run: EnsembleRun) -> None:
        self.count += 1
        if self.count > 1:
            self.exit_now()
            return
        stderr = self._stderr or sys.stderr
        if run.result is None:
            print("llm-orc: cancelling the run (interrupt again to exit at once)", file=stderr)
            run.cancel()
        else:  # the run has ended: what is left is shutting down, within a bounded time
            print("llm-orc: finishing (interrupt again to exit at once)", file=stderr)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
