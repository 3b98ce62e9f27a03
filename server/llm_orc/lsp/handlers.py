"""Registers exactly one pygls handler per LSP method and fans each out to the features."""

from __future__ import annotations

import importlib

from lsprotocol import types

from llm_orc.lsp.documents import DocumentKind
from llm_orc.lsp.server import LlmOrcLanguageServer

# Feature modules with a `register(server)` function (completion, hover, runs, ...).
FEATURE_MODULES: list[str] = [
    "llm_orc.lsp.features.runs",
    "llm_orc.lsp.features.completion",
    "llm_orc.lsp.features.hover",
    "llm_orc.lsp.features.navigation",
    "llm_orc.lsp.features.rename",
    "llm_orc.lsp.features.symbols",
    "llm_orc.lsp.features.quick_fixes",
]

_CONFIG_GLOBS = ("**/.llm-orc/**/*.yaml", "**/.llm-orc/**/*.yml")


def register_handlers(server: LlmOrcLanguageServer) -> None:
    @server.feature(types.INITIALIZED)
    async def initialized(ls: LlmOrcLanguageServer, params: types.InitializedParams) -> None:
        await _watch_configuration(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LlmOrcLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = ls.path_of(uri)
        if path is not None and ls.kind_of(uri) is DocumentKind.ENSEMBLE:
            ls.workspaces.notice_ensemble(path)
        ls.diagnostics.document_changed(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LlmOrcLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.diagnostics.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LlmOrcLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        if ls.kind_of(params.text_document.uri) is not DocumentKind.OTHER:
            # Profiles and the ensemble list are read from disk: saving changes them.
            ls.diagnostics.configuration_changed()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LlmOrcLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.diagnostics.document_closed(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(
        ls: LlmOrcLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        if any(ls.kind_of(change.uri) is not DocumentKind.OTHER for change in params.changes):
            ls.diagnostics.configuration_changed()

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="llm-orc", inter_file_dependencies=True, workspace_diagnostics=False
        ),
    )
    def diagnostic(
        ls: LlmOrcLanguageServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        items = ls.diagnostics.pull(params.text_document.uri)
        return types.RelatedFullDocumentDiagnosticReport(items=items)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            # Quick fixes; the "Run ensemble" actions have no kind, as commands users pick.
            code_action_kinds=[types.CodeActionKind.QuickFix],
            resolve_provider=False,
        ),
    )
    def code_action(
        ls: LlmOrcLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        actions: list[types.CodeAction] = []
        for provider in ls.code_action_providers:
            actions.extend(provider(ls, params))
        return actions

    for module in FEATURE_MODULES:
        importlib.import_module(module).register(server)


async def _watch_configuration(ls: LlmOrcLanguageServer) -> None:
    """Ask the client to tell us when config or ensemble files change on disk."""
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if watched is None or not watched.dynamic_registration:
        return
    watchers = [types.FileSystemWatcher(glob_pattern=glob) for glob in _CONFIG_GLOBS]
    registration = types.Registration(
        id="llm-orc-configuration",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    await ls.client_register_capability_async(types.RegistrationParams([registration]))
