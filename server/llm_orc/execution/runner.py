"""Running an ensemble from Python: `await run(...)` for the result, `stream(...)` for events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.profiles import ModelProfile
from llm_orc.errors import InputError, InvalidEnsembleError
from llm_orc.execution.events import RunEvent
from llm_orc.execution.result import RunResult
from llm_orc.execution.scheduler import EnsembleRun, RunOptions
from llm_orc.providers.registry import provider_names
from llm_orc.validation import validate_ensemble_data

EventHook = Callable[[RunEvent], None]


def prepare_run(
    ensemble: Ensemble,
    task: str | None,
    *,
    profiles: Mapping[str, ModelProfile] | None,
    emit: EventHook,
    options: RunOptions | None,
) -> EnsembleRun:
    """Check everything that must hold before any model is called, and set up the run."""
    check_arguments(ensemble, task, profiles=profiles, options=options, on_event=emit)
    if profiles is None:
        from llm_orc.config.workspace import Workspace

        profiles = Workspace.discover().profiles
    if ensemble.source is None:
        # Built in code: apply the same checks the file validator applies (files were validated
        # when loaded), but the schema's when the models already enforced it.
        report = validate_ensemble_data(
            ensemble.to_document(),
            profiles=profiles,
            providers=provider_names(),
            schema_valid=ensemble.schema_valid_document(),
        )
        if not report.ok:
            raise InvalidEnsembleError(f"<ensemble {ensemble.name}>", report.diagnostics)
    text = task if task is not None else ensemble.default_task
    if text is None or not text.strip():
        raise InputError(f"ensemble '{ensemble.name}' needs an input and has no default_task")
    return EnsembleRun(ensemble, text, profiles, emit=emit, options=options)


def check_arguments(
    ensemble: object,
    task: object,
    *,
    profiles: object,
    options: object,
    on_event: object,
) -> None:
    """Refuse arguments of the wrong kind with one line saying what is expected."""
    if not isinstance(ensemble, Ensemble):
        raise TypeError(
            "the ensemble must be an llm_orc.Ensemble (llm_orc.load_ensemble(NAME) loads one), "
            f"not {type(ensemble).__name__}"
        )
    if task is not None and not isinstance(task, str):
        raise TypeError(
            "the task must be a string, or None for the ensemble's default_task, "
            f"not {type(task).__name__}"
        )
    if profiles is not None and not isinstance(profiles, Mapping):
        raise TypeError(
            f"profiles must be a mapping of names to ModelProfile, not {type(profiles).__name__}"
        )
    if options is not None and not isinstance(options, RunOptions):
        raise TypeError(f"options must be an llm_orc.RunOptions, not {type(options).__name__}")
    if on_event is not None and not callable(on_event):
        raise TypeError(f"on_event must be callable, not {type(on_event).__name__}")


async def stream(
    ensemble: Ensemble,
    task: str | None = None,
    *,
    profiles: Mapping[str, ModelProfile] | None = None,
    options: RunOptions | None = None,
) -> AsyncIterator[RunEvent]:
    """Run ENSEMBLE and yield its events as they happen; the last is `EnsembleFinished`.

    Leaving the loop early cancels the run.
    """
    queue: asyncio.Queue[RunEvent | None] = asyncio.Queue()
    execution = prepare_run(
        ensemble, task, profiles=profiles, emit=queue.put_nowait, options=options
    )
    runner = asyncio.create_task(execution.execute())
    runner.add_done_callback(lambda _: queue.put_nowait(None))
    try:
        while (event := await queue.get()) is not None:
            yield event
        if not runner.cancelled():
            runner.result()
    finally:
        if not runner.done():
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)


async def run(
    ensemble: Ensemble,
    task: str | None = None,
    *,
    profiles: Mapping[str, ModelProfile] | None = None,
    options: RunOptions | None = None,
    on_event: EventHook | None = None,
) -> RunResult:
    """Run ENSEMBLE on TASK (default: its default_task) and return the result document.

    ON_EVENT, if given, is called with every event as it happens.
    """
    execution = prepare_run(
        ensemble, task, profiles=profiles, emit=on_event or (lambda _: None), options=options
    )
    return await execution.execute()
