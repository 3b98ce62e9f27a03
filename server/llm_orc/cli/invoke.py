"""`llm-orc invoke ENSEMBLE [INPUT]`: run an ensemble and render its events."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import NoReturn

from llm_orc.cli.event_loop import TEARDOWN_GRACE_SECONDS, run_bounded
from llm_orc.cli.interrupts import Interrupts
from llm_orc.cli.main import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
from llm_orc.cli.reporting import load_for_run
from llm_orc.config.ensemble import Ensemble
from llm_orc.config.workspace import Workspace
from llm_orc.errors import InputError, LlmOrcError
from llm_orc.execution.events import RunEvent
from llm_orc.execution.result import RunResult, RunStatus
from llm_orc.execution.runner import prepare_run
from llm_orc.execution.scheduler import EnsembleRun, RunOptions
from llm_orc.formatters.base import Formatter, FormatterContext, FormatterError
from llm_orc.formatters.registry import check_formatter_name, get_formatter_factory

EXIT_TIMEOUT = 124


def read_input(args: argparse.Namespace) -> str | None:
    """INPUT or --input (the instruction), then -f FILE or piped stdin (the material)."""
    if args.input is not None and args.input_option is not None:
        raise InputError("give the input either as INPUT or as --input, not both")
    instruction: str | None = args.input if args.input is not None else args.input_option
    material: str | None = None
    if args.file is not None:
        try:
            material = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise InputError(f"{args.file}: cannot read input file: {reason}") from None
    elif sys.stdin is not None and not sys.stdin.isatty():
        material = _piped_text()
    for name, text in (("INPUT", instruction), ("-f/stdin", material)):
        if text is not None and _SURROGATE.search(text):
            raise InputError(f"{name}: the input is not UTF-8 text")
    parts = [part for part in (instruction, material) if part is not None and part.strip()]
    return "\n\n".join(parts) if parts else None


def _piped_text() -> str | None:
    """Piped standard input, decoded as UTF-8 whatever the locale says; anything else is
    refused before the run starts, as `-f` refuses a binary file."""
    raw = sys.stdin.buffer.read()
    try:
        piped = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"standard input: not UTF-8 text (byte {exc.start + 1} is {raw[exc.start]:#04x})"
        ) from None
    return piped if piped.strip() else None


_SURROGATE = re.compile("[\ud800-\udfff]")


def run_command(args: argparse.Namespace) -> int:
    interrupts = Interrupts()
    interrupts.install()
    try:
        return _invoke(args, interrupts)
    finally:
        interrupts.restore()


def _invoke(args: argparse.Namespace, interrupts: Interrupts) -> int:
    workspace = Workspace.discover()
    ensemble = load_for_run(workspace, args.ensemble)
    task = read_input(args)
    if task is None and not ensemble.default_task:
        raise InputError(
            f"ensemble '{ensemble.name}' needs an input: pass INPUT, --input, -f FILE or pipe it"
        )
    formatter = _formatter(args, ensemble)
    options = RunOptions(
        max_concurrency=args.max_concurrency, timeout_seconds=args.timeout, max_cost=args.max_cost
    )
    live = getattr(formatter, "live", None)  # a live terminal view: restored on a hard exit
    if live is not None:
        interrupts.before_exit(live.stop)
    result, left_behind = _execute(ensemble, task, workspace, options, formatter, interrupts)
    _finish(formatter, result)
    _report_budget(result)
    code = _exit_code(result)
    if left_behind:
        _exit_without_waiting(code, left_behind)
    return code


def _formatter(args: argparse.Namespace, ensemble: Ensemble) -> Formatter:
    """The formatter `-o` names (`--template FILE` implies `template`), set up before the run so
    that a bad template stops it before any model is called."""
    template: str | None = args.template
    name: str | None = args.output_format
    if name is None:
        name = "template" if template else "rich" if sys.stdout.isatty() else "text"
    check_formatter_name(name)
    if name == "template" and template is None:
        raise FormatterError("output format 'template' needs --template FILE")
    if template is not None and name != "template":
        raise FormatterError(f"--template is used by output format 'template', not '{name}'")
    context = FormatterContext(
        ensemble=ensemble,
        out=sys.stdout,
        err=sys.stderr,
        template=Path(template) if template is not None else None,
    )
    return get_formatter_factory(name)(context)


def _execute(
    ensemble: Ensemble,
    task: str | None,
    workspace: Workspace,
    options: RunOptions,
    formatter: Formatter,
    interrupts: Interrupts,
) -> tuple[RunResult, int]:
    """Run the ensemble; the result and how much provider work was left behind (see
    `event_loop.run_bounded`)."""
    guard = _FormatterGuard(formatter)
    execution = prepare_run(
        ensemble, task, profiles=workspace.profiles, emit=guard.handle, options=options
    )
    guard.run = execution

    async def main() -> RunResult:
        interrupts.attach(execution)  # before the run's first step: no signal goes unseen
        return await execution.execute()  # Ctrl-C cancels it: it returns the result

    # The loop's handlers stay through its teardown (closing the loop removes them): a signal
    # while what is left of the run shuts down is a second one, and exits at once.
    try:
        finished = run_bounded(main())
    finally:
        interrupts.detach()
    left_behind = finished.left_behind
    local = sys.modules.get("llm_orc.providers.local")  # only if a run used the local model
    try:
        if local is not None and not local.wait_idle(TEARDOWN_GRACE_SECONDS):
            left_behind += 1  # e.g. a model still loading after Ctrl-C: exit would wait for it
    except KeyboardInterrupt:
        interrupts.exit_now()
    if guard.failure is not None:
        raise guard.failure
    return finished.value, left_behind


def _report_budget(result: RunResult) -> None:
    """A run its budget stopped says so on standard error, whatever the output format."""
    budget = result.budget
    if result.stopped_reason == "budget" and budget is not None:
        print(
            f"llm-orc: stopped by the budget: ${budget.spent_usd:.6g} spent of max_cost "
            f"${budget.max_cost_usd:g}; agents not finished were cancelled or skipped",
            file=sys.stderr,
        )


def _exit_without_waiting(code: int, left_behind: int) -> NoReturn:
    """The run has ended and its output is written, but provider work it started would not
    stop (a task that swallows cancellation, a thread blocked in a call): exit now, rather than
    wait for it as the interpreter would."""
    print(
        f"llm-orc: {left_behind} piece(s) of provider work did not stop after the run ended; "
        "exiting without waiting for them",
        file=sys.stderr,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class _FormatterGuard:
    """Hands events to the formatter; when it fails (a closed pipe, a plugin's bug), the run is
    stopped and the failure reported once the run has ended."""

    def __init__(self, formatter: Formatter) -> None:
        self.formatter = formatter
        self.run: EnsembleRun | None = None
        self.failure: BaseException | None = None

    def handle(self, event: RunEvent) -> None:
        if self.failure is not None:
            return
        try:
            self.formatter.handle(event)
        except Exception as exc:
            self.failure = _as_reportable(exc)
            if self.run is not None:
                self.run.cancel("the output formatter failed")


def _finish(formatter: Formatter, result: RunResult) -> None:
    try:
        formatter.finish(result)
    except Exception as exc:
        raise _as_reportable(exc) from None


def _as_reportable(exc: Exception) -> BaseException:
    """A closed pipe and llm-orc's own errors as they are; anything else as one line."""
    if isinstance(exc, BrokenPipeError | LlmOrcError):
        return exc
    return FormatterError(f"the output formatter failed: {type(exc).__name__}: {exc}")


def _exit_code(result: RunResult) -> int:
    if result.status is RunStatus.CANCELLED:
        return EXIT_INTERRUPTED
    if result.status is RunStatus.TIMED_OUT:
        return EXIT_TIMEOUT
    if result.status is RunStatus.FAILED:
        return EXIT_ERROR
    return EXIT_OK
