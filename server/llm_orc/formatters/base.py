"""The formatter interface: see every event of a run as it happens, then render its result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from llm_orc.errors import LlmOrcError

if TYPE_CHECKING:
    from llm_orc.config.ensemble import Ensemble
    from llm_orc.execution.events import RunEvent
    from llm_orc.execution.result import RunResult


class FormatterError(LlmOrcError):
    """A formatter cannot be found, loaded or set up, or could not render (one located line)."""


@dataclass(frozen=True, slots=True)
class FormatterContext:
    """What a formatter knows before the run starts: the ensemble and where to write."""

    ensemble: Ensemble
    out: TextIO
    """Standard output: the rendering itself."""
    err: TextIO
    """Standard error: progress and problems, kept out of what a pipe receives."""
    template: Path | None = None
    """`--template FILE`, for formatters that render a template."""


class Formatter(Protocol):
    """Renders one run. An `llm_orc.formatters` entry point names a callable (usually the class)
    that takes a `FormatterContext` and returns a Formatter; it may raise `FormatterError` to
    refuse (a bad template, a missing option) before anything runs."""

    def handle(self, event: RunEvent) -> None:
        """Called with every event as it happens, in order; the last is `EnsembleFinished`."""
        ...

    def finish(self, result: RunResult) -> None:
        """Called once after the run ended (succeeded, failed, timed out or cancelled)."""
        ...
