"""Run ensembles from the editor: the `llm-orc.*` commands, code actions and code lenses.

Commands (one argument object each; keys and results in snake_case, as the README's command
table says):

`llm-orc.runEnsemble` `{ensemble, input?, uri?}` → `{run_id}`, at once
    `ensemble` is a name from the library of `uri`'s workspace (else the root folder's), or an
    ensemble file (absolute path, `file:` URI, or `*.yaml` relative to the root folder). An open
    ensemble document runs as it is in the editor, unsaved edits included. Without `input` the
    ensemble's `default_task` is the input. The run goes on in the run service: its events
    arrive as `llm-orc/runEvent` notifications and its progress as work-done progress.
`llm-orc.cancelRun` `{run_id}` → the result document once the run has wound down
`llm-orc.runResult` `{run_id}` → the result document, or `{run_id, status: "running"}`
`llm-orc.listRuns` → `[{run_id, ensemble, source, status}]`, oldest first
`llm-orc.listEnsembles` `{uri?}` → `[{name, description, path, tier}]`: the ensembles of
    `uri`'s workspace (else the root folder's) in the order the selection's code actions offer
    them (`code-review` first for source code); `tier` says where each was found
`llm-orc.runEvents` `{run_id, after_seq?}` → `{run_id, events, finished}`: the run's events
    with `seq > after_seq` (default 0), deltas coalesced — replay for a late or reconnecting
    client, which then goes on with the notifications (dropping those with `seq` it has seen).

Bad arguments are JSON-RPC InvalidParams (-32602); an ensemble that cannot run (unknown,
invalid, no input) or an unknown run is RequestFailed (-32803) with the one-line, located reason.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from llm_orc.config.ensemble import Ensemble
from llm_orc.config.workspace import Workspace
from llm_orc.errors import (
    EnsembleNotFoundError,
    InputError,
    InvalidEnsembleError,
    LlmOrcError,
    display_path,
)
from llm_orc.execution.delta_coalescer import coalesced
from llm_orc.execution.events import event_to_dict
from llm_orc.execution.service import Run, RunService, UnknownRunError
from llm_orc.lsp.features.run_actions import (
    RUN_ENSEMBLE,
    ensemble_order,
    looks_like_code,
    run_actions,
    run_lenses,
)
from llm_orc.lsp.features.run_manager import RunTransport
from llm_orc.lsp.server import LlmOrcLanguageServer

CANCEL_RUN = "llm-orc.cancelRun"
RUN_RESULT = "llm-orc.runResult"
LIST_RUNS = "llm-orc.listRuns"
RUN_EVENTS = "llm-orc.runEvents"
LIST_ENSEMBLES = "llm-orc.listEnsembles"

SHUTDOWN_SECONDS = 5.0
"""How long a `shutdown` request waits for the runs still going to wind down."""

logger = logging.getLogger(__name__)

_YAML = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class RunRequest:
    """The argument object of `llm-orc.runEnsemble`."""

    ensemble: str
    input: str | None = None
    uri: str | None = None

    @classmethod
    def parse(cls, arguments: tuple[Any, ...]) -> RunRequest:
        fields = _one_object(RUN_ENSEMBLE, arguments)
        ensemble = fields.get("ensemble")
        if not isinstance(ensemble, str) or not ensemble.strip():
            raise _invalid_params(f"{RUN_ENSEMBLE}: 'ensemble' must be an ensemble name or path")
        for key in ("input", "uri"):
            if fields.get(key) is not None and not isinstance(fields[key], str):
                raise _invalid_params(f"{RUN_ENSEMBLE}: '{key}' must be a string")
        return cls(ensemble.strip(), fields.get("input"), fields.get("uri"))


def register(server: LlmOrcLanguageServer) -> None:
    service = RunService()
    transport = RunTransport(server, service)
    server.code_action_providers.append(run_actions)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def code_lens(ls: LlmOrcLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        return run_lenses(ls, params)

    @server.command(RUN_ENSEMBLE)
    def run_ensemble(ls: LlmOrcLanguageServer, *arguments: Any) -> dict[str, Any]:
        run = start_run(ls, service, RunRequest.parse(arguments))
        transport.follow(run)
        return {"run_id": run.run_id}

    @server.command(CANCEL_RUN)
    async def cancel_run(ls: LlmOrcLanguageServer, *arguments: Any) -> dict[str, Any]:
        run = _run(service, CANCEL_RUN, arguments)
        service.cancel(run.run_id)
        await service.wait(run.run_id)
        return run.document()

    @server.command(RUN_RESULT)
    def run_result(ls: LlmOrcLanguageServer, *arguments: Any) -> dict[str, Any]:
        return _run(service, RUN_RESULT, arguments).document()

    @server.command(LIST_RUNS)
    def list_runs(ls: LlmOrcLanguageServer, *arguments: Any) -> list[dict[str, Any]]:
        return [run.summary() for run in service.runs()]

    @server.command(LIST_ENSEMBLES)
    def list_ensembles(ls: LlmOrcLanguageServer, *arguments: Any) -> list[dict[str, Any]]:
        return ensemble_list(ls, _optional_uri(LIST_ENSEMBLES, arguments))

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: LlmOrcLanguageServer, *arguments: Any) -> None:
        """Runs still going are cancelled, and the client gets each one's end before the
        answer (bounded: a run that will not wind down is logged and left)."""
        try:
            async with asyncio.timeout(SHUTDOWN_SECONDS):
                await service.shutdown()
                await transport.drain()
        except TimeoutError:
            logger.warning("runs still going after %gs at shutdown", SHUTDOWN_SECONDS)

    @server.command(RUN_EVENTS)
    def run_events(ls: LlmOrcLanguageServer, *arguments: Any) -> dict[str, Any]:
        after_seq = _one_object(RUN_EVENTS, arguments).get("after_seq", 0)
        if isinstance(after_seq, bool) or not isinstance(after_seq, int) or after_seq < 0:
            raise _invalid_params(f"{RUN_EVENTS}: 'after_seq' must be a whole number, 0 or more")
        run = _run(service, RUN_EVENTS, arguments)
        finished = run.finished
        events = coalesced([event_to_dict(event) for event in run.events(after_seq)])
        return {"run_id": run.run_id, "events": events, "finished": finished}


def ensemble_list(ls: LlmOrcLanguageServer, uri: str | None) -> list[dict[str, Any]]:
    """The ensembles offered for a selection in URI's document, with what a picker shows."""
    root = Path(ls.workspace.root_path or Path.cwd())
    path = ls.path_of(uri) if uri else None
    library = ls.workspaces.for_path(path or root / ".llm-orc").library
    language = None
    if uri is not None and uri in ls.workspace.text_documents:
        language = ls.workspace.get_text_document(uri).language_id
    code = path is not None and looks_like_code(path, language)
    return [
        {
            "name": name,
            "description": library.entries[name].description,
            "path": str(library.entries[name].path),
            "tier": library.entries[name].tier,
        }
        for name in ensemble_order(list(library.entries), code)
    ]


def _optional_uri(command: str, arguments: tuple[Any, ...]) -> str | None:
    fields = _one_object(command, arguments) if arguments else {}
    uri = fields.get("uri")
    if uri is not None and not isinstance(uri, str):
        raise _invalid_params(f"{command}: 'uri' must be a string")
    return uri


def start_run(ls: LlmOrcLanguageServer, service: RunService, request: RunRequest) -> Run:
    """Load and check the ensemble, then start it on the service (or raise the reason why it
    cannot run, as a JSON-RPC error)."""
    try:
        ensemble, workspace = resolve_ensemble(ls, request)
    except LlmOrcError as exc:
        raise _request_failed(str(exc)) from None
    try:
        return service.start(ensemble, request.input, profiles=workspace.profiles)
    except InputError as exc:
        message = (
            f"{exc}: select the text to run it on and choose "
            f"'Run ensemble {ensemble.name} on selection', or give it a default_task"
        )
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=f"llm-orc: {message}")
        )
        raise _request_failed(message) from None
    except LlmOrcError as exc:
        raise _request_failed(str(exc)) from None


def resolve_ensemble(ls: LlmOrcLanguageServer, request: RunRequest) -> tuple[Ensemble, Workspace]:
    """The validated ensemble REQUEST names, and the workspace whose profiles it runs with: the
    file's own for an ensemble file, else the one of `uri` (or of the root folder)."""
    root = Path(ls.workspace.root_path or Path.cwd())
    path = _ensemble_path(request.ensemble, root)
    if path is None:
        document = ls.path_of(request.uri) if request.uri else None
        # A file's folder decides its workspace: without a document, one in the root folder.
        workspace = ls.workspaces.for_path(document or root / ".llm-orc")
        entry = workspace.library.entries.get(request.ensemble)
        if entry is None:
            raise EnsembleNotFoundError(request.ensemble, workspace.library.names())
        path = entry.path
    else:
        workspace = ls.workspaces.for_path(path)
    return _load(ls, workspace, path), workspace


def _ensemble_path(ref: str, root: Path) -> Path | None:
    """The file REF names (a `file:` URI, an absolute path, or `*.yaml` relative to ROOT), or
    None when REF is an ensemble name."""
    if ref.startswith("file:"):
        path = Path(to_fs_path(ref) or ref)
    elif Path(ref).is_absolute() or ref.endswith(_YAML):
        path = root / ref  # an absolute REF stays as it is
    else:
        return None
    return path


def _load(ls: LlmOrcLanguageServer, workspace: Workspace, path: Path) -> Ensemble:
    """The ensemble at PATH as the editor has it: an open document's current text, else the
    file. Either way it goes through the workspace's validator (errors only: no warning is
    shown here, so the price table's import is left to the run, which does it in a thread)."""
    document = _open_document(ls, path)
    if document is None:
        if not path.is_file():
            raise LlmOrcError(f"{display_path(path)}: no such ensemble file")
        return workspace.load_ensemble_file(path, wait_for_prices=False)
    report = workspace.validate_text(document.source, wait_for_prices=False)
    if not report.ok:
        raise InvalidEnsembleError(display_path(path), report.diagnostics)
    return Ensemble.from_document(report.data, source=path)


def _open_document(ls: LlmOrcLanguageServer, path: Path) -> TextDocument | None:
    target = path.resolve()
    documents: dict[str, TextDocument] = ls.workspace.text_documents
    for uri, document in list(documents.items()):
        document_path = ls.path_of(uri)
        if document_path is not None and document_path.resolve() == target:
            return document
    return None


def _run(service: RunService, command: str, arguments: tuple[Any, ...]) -> Run:
    run_id = _one_object(command, arguments).get("run_id")
    if not isinstance(run_id, str):
        raise _invalid_params(f"{command}: expected {{run_id}}")
    try:
        return service.get(run_id)
    except UnknownRunError as exc:
        raise _request_failed(str(exc)) from None


def _one_object(command: str, arguments: tuple[Any, ...]) -> dict[str, Any]:
    if len(arguments) != 1 or not isinstance(arguments[0], dict):
        raise _invalid_params(f"{command} takes one argument object")
    return arguments[0]


def _invalid_params(message: str) -> JsonRpcException:
    return JsonRpcInvalidParams(message)


def _request_failed(message: str) -> JsonRpcException:
    return JsonRpcException(message, code=int(types.LSPErrorCodes.RequestFailed))
