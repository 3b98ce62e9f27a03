"""Problems found while reading configuration: reported to the user, never skipped silently."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llm_orc.errors import display_path
from llm_orc.validation.diagnostics import Diagnostic, Range, Severity


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """A located problem in a configuration or ensemble file."""

    path: Path
    diagnostic: Diagnostic

    def format(self) -> str:
        return self.diagnostic.format(display_path(self.path))

    @property
    def is_error(self) -> bool:
        return self.diagnostic.is_error


def file_issue(
    path: Path, code: str, message: str, severity: Severity = Severity.ERROR
) -> ConfigIssue:
    """An issue about a whole file (unreadable, not UTF-8), placed at its start."""
    return ConfigIssue(path, Diagnostic(code, message, Range.at(0, 0, 0, 0), severity))


def read_text(path: Path) -> tuple[str | None, ConfigIssue | None]:
    """The file's text, or the issue that says why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8"), None
    except UnicodeDecodeError:
        return None, file_issue(path, "unreadable-file", "file is not valid UTF-8 text")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return None, file_issue(path, "unreadable-file", f"cannot read file: {reason}")
