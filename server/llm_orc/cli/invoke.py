"""`llm-orc invoke ENSEMBLE [INPUT]`: run an ensemble and render its events."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from llm_orc.cli.interrupts import Interrupts
from llm_orc.cli.main import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
from llm_orc.cli.reporting import print_issues
from llm_orc.config.ensemble import Ensemble
from llm_orc.config.workspace import Workspace
from llm_orc.errors import InputError
from llm_orc.execution.result import RunResult, RunStatus
from llm_orc.execution.runner import EventHook, prepare_run
from llm_orc.execution.scheduler import RunOptions

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
    elif not sys.stdin.isatty():
        piped = sys.stdin.read()
        material = piped if piped.strip() else None
    parts = [part for part in (instruction, material) if part is not None and part.strip()]
    return "\n\n".join(parts) if parts else None


def run_command(args: argparse.Namespace) -> int:
    interrupts = Interrupts()
    interrupts.install()
    try:
        return _invoke(args, interrupts)
    finally:
        interrupts.restore()


def _invoke(args: argparse.Namespace, interrupts: Interrupts) -> int:
    workspace = Workspace.discover()
    ensemble = workspace.load_ensemble(args.ensemble)
    print_issues(i for i in workspace.profile_catalog.issues if i.is_error)
    task = read_input(args)
    if task is None and not ensemble.default_task:
        raise InputError(
            f"ensemble '{ensemble.name}' needs an input: pass INPUT, --input, -f FILE or pipe it"
        )
    output_format = args.output_format or ("rich" if sys.stdout.isatty() else "text")
    options = RunOptions(max_concurrency=args.max_concurrency, timeout_seconds=args.timeout)

    if output_format == "rich":
        from llm_orc.cli.live_view import LiveView

        view = LiveView(ensemble)
        interrupts.before_exit(view.live.stop)
        result = _execute(ensemble, task, workspace, options, view.handle, interrupts)
        view.finish(result)
    else:
        result = _execute(ensemble, task, workspace, options, lambda _: None, interrupts)
        if output_format == "json":
            print(json.dumps(result.to_document(), indent=2, ensure_ascii=False))
        else:
            _print_text(result)
    return _exit_code(result)


def _execute(
    ensemble: Ensemble,
    task: str | None,
    workspace: Workspace,
    options: RunOptions,
    emit: EventHook,
    interrupts: Interrupts,
) -> RunResult:
    execution = prepare_run(ensemble, task, profiles=workspace.profiles, emit=emit, options=options)

    async def main() -> RunResult:
        interrupts.attach(execution)  # before the run's first step: no signal goes unseen
        try:
            return await execution.execute()  # a signal cancels it: it returns the result
        finally:
            interrupts.detach()

    return asyncio.run(main())


def _print_text(result: RunResult) -> None:
    for agent in result.agents:
        if agent.error is not None:
            print(
                f"llm-orc: agent '{agent.name}' {agent.status.value}: {agent.error}",
                file=sys.stderr,
            )
    answer = result.final_answer
    if answer is not None:
        print(answer.rstrip("\n"))


def _exit_code(result: RunResult) -> int:
    if result.status is RunStatus.CANCELLED:
        return EXIT_INTERRUPTED
    if result.status is RunStatus.TIMED_OUT:
        return EXIT_TIMEOUT
    if result.status is RunStatus.FAILED:
        return EXIT_ERROR
    return EXIT_OK
