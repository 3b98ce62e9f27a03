"""`--template FILE` (`-o template`): the result document rendered by a Jinja2 template.

The template runs in Jinja2's sandbox with strict undefined names: a misspelt key is an error,
never an empty string. It sees the result document's keys as names (`status`, `final_answer`,
`agents`, `totals`, …) and the whole document as `result`. `{% include %}` finds files beside
the template. Every problem is one line `FILE:LINE: template error: …` and exit status 1; a
syntax error stops the command before the run starts.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from llm_orc.errors import display_path
from llm_orc.execution.events import RunEvent
from llm_orc.execution.result import RunResult
from llm_orc.formatters.base import FormatterContext, FormatterError

if TYPE_CHECKING:
    from jinja2 import Template


class TemplateFormatter:
    """Compiles the template when created; renders it with the result document at the end."""

    def __init__(self, context: FormatterContext) -> None:
        if context.template is None:
            raise FormatterError("output format 'template' needs --template FILE")
        self.out = context.out
        self.path = context.template
        self.template = _load(context.template)

    def handle(self, event: RunEvent) -> None:
        """Nothing: the template renders the result."""

    def finish(self, result: RunResult) -> None:
        self.out.write(render(self.template, self.path, result))


def _load(path: Path) -> Template:
    from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    if not path.is_file():
        raise FormatterError(f"{display_path(path)}: no such template file")
    environment = SandboxedEnvironment(
        loader=FileSystemLoader(path.parent),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    try:
        return environment.get_template(path.name)
    except TemplateSyntaxError as exc:
        where = display_path(exc.filename or path)
        raise FormatterError(f"{where}:{exc.lineno}: template error: {exc.message}") from None
    except TemplateNotFound as exc:
        raise FormatterError(f"{display_path(path)}: template error: no template {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise FormatterError(f"{display_path(path)}: cannot read template: {reason}") from None


def render(template: Template, path: Path, result: RunResult) -> str:
    """TEMPLATE rendered with RESULT's document; a failure as one located FormatterError."""
    from jinja2 import TemplateSyntaxError

    document = result.to_document()
    try:
        return template.render({**document, "result": document})
    except TemplateSyntaxError as exc:  # in a file `{% include %}`d while rendering
        where = display_path(exc.filename or path)
        raise FormatterError(f"{where}:{exc.lineno}: template error: {exc.message}") from None
    except Exception as exc:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        where = _template_line(exc.__traceback__, path)
        raise FormatterError(f"{where}: template error: {message}") from None


def _template_line(trace: TracebackType | None, path: Path) -> str:
    """`FILE:LINE` of the innermost template frame in TRACE (Jinja2 rewrites tracebacks so that
    template lines appear as frames of the template file), else the template's own path."""
    templates = str(path.parent.resolve())
    found = display_path(path)
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if Path(filename).resolve().is_relative_to(templates) and Path(filename).is_file():
            found = f"{display_path(filename)}:{trace.tb_lineno}"
        trace = trace.tb_next
    return found
