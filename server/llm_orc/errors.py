"""The exceptions llm-orc raises to its users: a short hierarchy, located and secret-free."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llm_orc.validation.diagnostics import Diagnostic


class LlmOrcError(Exception):
    """Base class of every error llm-orc reports to a user."""


class EnsembleNotFoundError(LlmOrcError):
    """No ensemble file or configured ensemble has the requested name."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        import difflib

        self.name = name
        self.available = list(available)
        close = difflib.get_close_matches(name, self.available, n=1, cutoff=0.6)
        hint = f"; available: {', '.join(self.available)}" if self.available else ""
        hint += f"; did you mean '{close[0]}'?" if close else ""
        super().__init__(f"no ensemble named '{name}'{hint}")


class InvalidEnsembleError(LlmOrcError):
    """The ensemble has validation errors; nothing was run."""

    def __init__(self, path: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.path = path
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0].format(path) if errors else path
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}")


class InvalidFieldError(LlmOrcError, ValueError):
    """An ensemble, agent or retry policy was given a field it does not have or a bad value."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems) or ["invalid value"]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{self.problems[0]}{more}")


class InvalidResultError(LlmOrcError, ValueError):
    """A stored result document does not match `schema/result.schema.json`."""


class InputError(LlmOrcError):
    """The run has no usable input."""


def display_path(path: Path | str) -> str:
    """A path as users should see it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
