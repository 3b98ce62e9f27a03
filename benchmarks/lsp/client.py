"""A pygls language client on the real server (`python -m llm_orc.lsp` over stdio) that notes
when each thing the benchmarks wait for arrives."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import deque
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

WAIT_SECONDS = 30.0
RUN_EVENT = "llm-orc/runEvent"
RUN_ENSEMBLE = "llm-orc.runEnsemble"


def uri(path: Path) -> str:
    result = from_fs_path(str(path))
    assert result is not None
    return str(result)


def member(value: Any, name: str) -> Any:
    """NAME of a custom notification's params (a dict, or the object pygls made of it)."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def capabilities(*, pull: bool, work_done_progress: bool) -> types.ClientCapabilities:
    """What an editor like VS Code declares, as far as this server looks: push diagnostics
    (or pull, when PULL), code action literals, and work-done progress when asked for."""
    text_document = types.TextDocumentClientCapabilities(
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
            related_information=True, version_support=True
        ),
        code_action=types.CodeActionClientCapabilities(
            code_action_literal_support=types.ClientCodeActionLiteralOptions(
                code_action_kind=types.ClientCodeActionKindOptions(
                    value_set=[types.CodeActionKind.Empty, types.CodeActionKind.QuickFix]
                )
            )
        ),
        diagnostic=types.DiagnosticClientCapabilities(related_document_support=False)
        if pull
        else None,
    )
    return types.ClientCapabilities(
        text_document=text_document,
        window=types.WindowClientCapabilities(work_done_progress=work_done_progress),
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf16]
        ),
    )


class BenchClient(LanguageClient):
    """Marks arrivals by key — `("diagnostics", uri, version)`, `("first_delta", run_id)`,
    `("finished", run_id)` — with the `perf_counter()` of the moment the client handled them."""

    def __init__(self) -> None:
        super().__init__("llm-orc-benchmarks", "1")
        self.arrived: dict[Hashable, float] = {}
        self.counts: dict[Hashable, int] = {}
        """How many diagnostics each `("diagnostics", uri, version)` publish held."""
        self._waiting: dict[Hashable, asyncio.Future[float]] = {}
        self.run_events = 0
        self.deltas: dict[tuple[str, str], list[float]] = {}
        """`(run_id, agent)` → when each of its `agent_text_delta` notifications arrived."""
        self.stderr: deque[str] = deque(maxlen=40)
        self.server_capabilities: types.ServerCapabilities | None = None
        self._register()

    def mark(self, key: Hashable) -> None:
        now = time.perf_counter()
        self.arrived.setdefault(key, now)
        waiter = self._waiting.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(self.arrived[key])

    async def arrival(self, key: Hashable) -> float:
        """When KEY arrived (waiting for it, up to WAIT_SECONDS)."""
        if key in self.arrived:
            return self.arrived[key]
        waiter = self._waiting.setdefault(key, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), WAIT_SECONDS)
        except TimeoutError:
            raise TimeoutError(f"no {key!r} from the server; its stderr: {self.log()}") from None

    def log(self) -> str:
        return "".join(self.stderr) or "(empty)"

    def _register(self) -> None:
        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(client: BenchClient, params: types.PublishDiagnosticsParams) -> None:
            key = ("diagnostics", params.uri, params.version)
            client.counts[key] = len(params.diagnostics)
            client.mark(key)

        @self.feature(RUN_EVENT)
        def on_run_event(client: BenchClient, params: Any) -> None:
            client.run_events += 1
            kind = member(params, "type")
            if kind == "agent_text_delta":
                run_id, agent = member(params, "run_id"), member(params, "agent")
                client.mark(("first_delta", run_id))
                client.deltas.setdefault((run_id, agent), []).append(time.perf_counter())
            elif kind == "ensemble_finished":
                client.mark(("finished", member(params, "run_id")))

        @self.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def on_progress_create(
            client: BenchClient, params: types.WorkDoneProgressCreateParams
        ) -> None:
            return None

        @self.feature(types.PROGRESS)
        def on_progress(client: BenchClient, params: types.ProgressParams) -> None:
            pass

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(client: BenchClient, params: types.ShowMessageParams) -> None:
            client.stderr.append(f"[showMessage] {params.message}\n")

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(client: BenchClient, params: types.LogMessageParams) -> None:
            client.stderr.append(f"[logMessage] {params.message}\n")

    # -- the session --------------------------------------------------------------------------

    async def open_session(
        self, root: Path, xdg_config_home: Path, client_capabilities: types.ClientCapabilities
    ) -> None:
        """Start the server on ROOT (a project folder) and initialize it."""
        env = {**os.environ, "XDG_CONFIG_HOME": str(xdg_config_home)}
        await self.start_io(sys.executable, "-m", "llm_orc.lsp", env=env, cwd=str(root))
        assert self._server is not None and self._server.stderr is not None
        self._async_tasks.append(asyncio.create_task(self._drain(self._server.stderr)))
        result = await self.initialize_async(
            types.InitializeParams(
                capabilities=client_capabilities,
                root_uri=uri(root),
                workspace_folders=[types.WorkspaceFolder(uri=uri(root), name=root.name)],
            )
        )
        self.server_capabilities = result.capabilities
        self.initialized(types.InitializedParams())

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        """Keep reading the server's stderr (a full pipe would block it), keeping the tail."""
        while line := await stream.readline():
            self.stderr.append(line.decode("utf-8", "replace"))

    async def close_session(self) -> None:
        try:
            await asyncio.wait_for(self.shutdown_async(None), WAIT_SECONDS)
            self.exit(None)
            await asyncio.wait_for(self.stop(), WAIT_SECONDS)
        finally:
            if self._server is not None and self._server.returncode is None:
                self._server.kill()
                await self._server.wait()

    # -- documents ----------------------------------------------------------------------------

    def open(self, path: Path, text: str, language: str = "yaml") -> str:
        document = uri(path)
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=document, language_id=language, version=1, text=text
                )
            )
        )
        return document

    def replace(self, document: str, version: int, range_: types.Range, text: str) -> None:
        """An incremental didChange, as an editor sends for a keystroke."""
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=document, version=version),
                content_changes=[types.TextDocumentContentChangePartial(range=range_, text=text)],
            )
        )

    def close(self, document: str) -> None:
        self.text_document_did_close(
            types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=document)
            )
        )

    async def run_ensemble(self, arguments: dict[str, Any]) -> str:
        """`llm-orc.runEnsemble`: the run id it answers with."""
        answer = await self.workspace_execute_command_async(
            types.ExecuteCommandParams(command=RUN_ENSEMBLE, arguments=[arguments])
        )
        run_id = member(answer, "run_id")
        assert isinstance(run_id, str), answer
        return run_id

    def advertises(self, command: str) -> bool:
        capabilities = self.server_capabilities
        provider = capabilities.execute_command_provider if capabilities else None
        return provider is not None and command in provider.commands
