"""The `llm-orc` command line.

Imported by the console script (before `main` can catch anything), it makes a Ctrl-C during
the imports that follow end the process with one line and status 130, not a traceback;
`llm_orc.cli.main.main` hands Ctrl-C back to Python (KeyboardInterrupt) once it runs.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _interrupted_while_starting(signum: int, frame: FrameType | None) -> None:
    try:
        sys.stderr.write("llm-orc: interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(130)


def take_back_interrupts() -> None:
    """From here on, Ctrl-C raises KeyboardInterrupt again (which `main` reports)."""
    if signal.getsignal(signal.SIGINT) is _interrupted_while_starting:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _is_console_script() -> bool:
    """Started as `llm-orc` (not imported by a program or a test that uses the package)."""
    return bool(sys.argv) and os.path.basename(sys.argv[0]).startswith("llm-orc")


if _is_console_script() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted_while_starting)  # (an ignored SIGINT stays so)
