"""The language server object: thin. It owns the shared state (workspaces, tracked background
tasks, what the client can do); `handlers` wires LSP methods to the feature modules."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from llm_orc import __version__
from llm_orc.lsp.arguments import add_arguments
from llm_orc.lsp.documents import DocumentKind, WorkspaceCache, document_kind

logger = logging.getLogger(__name__)

CodeActionProvider = Callable[
    ["LlmOrcLanguageServer", types.CodeActionParams], list[types.CodeAction]
]


class LlmOrcLanguageServer(LanguageServer):
    """pygls server with llm-orc's shared state; features hang off it."""

    def __init__(self) -> None:
        super().__init__("llm-orc", __version__)
        self.workspaces = WorkspaceCache()
        self.code_action_providers: list[CodeActionProvider] = []
        """Each contributes code actions; one `textDocument/codeAction` handler asks them all."""
        self._tasks: set[asyncio.Task[Any]] = set()
        from llm_orc.lsp.features.diagnostics import DiagnosticsFeature

        self.diagnostics = DiagnosticsFeature(self)

    # -- background work ----------------------------------------------------------------------

    def start_task(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run WORK as a server-owned task: kept alive, and its failure logged, never lost."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log errors from notification handlers instead of popping them up in the editor.
        A request's error already went back to the client as its response."""
        if source is FeatureRequestError:
            return
        logger.error("llm-orc language server error (%s)", source.__name__, exc_info=error)

    # -- documents ----------------------------------------------------------------------------

    @staticmethod
    def path_of(uri: str) -> Path | None:
        """The file system path of URI (None for untitled or remote documents)."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return Path(path) if path else None

    def kind_of(self, uri: str) -> DocumentKind:
        path = self.path_of(uri)
        return DocumentKind.OTHER if path is None else document_kind(path)

    # -- what the client can do ---------------------------------------------------------------

    @property
    def uses_pull_diagnostics(self) -> bool:
        text_document = self.client_capabilities.text_document
        return text_document is not None and text_document.diagnostic is not None

    @property
    def client_supports_diagnostic_refresh(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)

    @property
    def client_supports_work_done_progress(self) -> bool:
        window = self.client_capabilities.window
        return bool(window and window.work_done_progress)


def create_server() -> LlmOrcLanguageServer:
    """A server with every feature registered."""
    from llm_orc.lsp.handlers import register_handlers

    server = LlmOrcLanguageServer()
    register_handlers(server)
    _leave_a_core_for_the_editor()
    return server


def _leave_a_core_for_the_editor() -> None:
    """The embedded model generates in this process: give it one CPU fewer than the machine
    has, so diagnostics and completion stay quick while it writes (profiles can still set
    `n_threads`)."""
    from llm_orc.providers.local import LocalProvider
    from llm_orc.providers.registry import register_provider

    cpus = os.cpu_count() or 1
    register_provider("local", LocalProvider(threads=max(1, cpus - 1)))


def main(argv: Sequence[str] | None = None) -> int:
    """Serve over stdio (the default) or TCP. stdout is the protocol channel: logs go to stderr."""
    parser = argparse.ArgumentParser(prog="llm-orc lsp", description="the llm-orc language server")
    add_arguments(parser)
    return serve(parser.parse_args(argv))


class _AnsweredErrors(logging.Filter):
    """Drop pygls's tracebacks for errors a handler raised on purpose to answer a request
    (an unknown ensemble, a refused rename): the client got the message as the response."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, JsonRpcException)


def _tune_garbage_collection() -> None:
    """Validating a 500-agent document on each keystroke allocates some 250,000 objects that
    reference counting frees: with CPython's default gen-0 threshold (700) that triggers
    hundreds of collections per edit, which doubled the time to diagnostics. Start-up objects
    (modules, schemas, pygls) never die, so they leave the collector's view (`gc.freeze`), and
    the young generation is collected every 50,000 net allocations instead."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


def serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="llm-orc lsp: %(message)s")
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_AnsweredErrors())
    server = create_server()
    _tune_garbage_collection()
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    # The protocol asks for exit code 1 when `exit` came without a `shutdown` request first.
    return 0 if getattr(server.protocol, "_shutdown", True) else 1
