"""How diagnostics work is scheduled, in process: bursts coalesce, stale results are dropped."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.workspace import Workspace as PyglsWorkspace

from llm_orc.lsp.documents import DocumentKind, WorkspaceCache
from llm_orc.lsp.features.diagnostics import DiagnosticsFeature


class FakeServer:
    """Just what DiagnosticsFeature uses of the server: documents, tasks, publishing."""

    uses_pull_diagnostics = False
    client_supports_diagnostic_refresh = False

    def __init__(self, root: Path) -> None:
        self.workspace = PyglsWorkspace(None)
        self.workspaces = WorkspaceCache()
        self.published: list[types.PublishDiagnosticsParams] = []
        self.tasks: list[asyncio.Task[Any]] = []
        self.root = root

    def start_task(self, work: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self.tasks.append(task)
        return task

    def path_of(self, uri: str) -> Path:
        return self.root / uri.rsplit("/", 1)[-1]

    def kind_of(self, uri: str) -> DocumentKind:
        return DocumentKind.ENSEMBLE

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        self.published.append(params)


def edit(server: FakeServer, uri: str, version: int, text: str) -> None:
    server.workspace.update_text_document(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        types.TextDocumentContentChangeWholeDocument(text=text),
    )


async def test_a_burst_of_changes_is_checked_once_at_its_newest_version(tmp_path: Path) -> None:
    server = FakeServer(tmp_path)
    feature = DiagnosticsFeature(server)  # type: ignore[arg-type]
    uri = "file:///x.ensemble.yaml"
    server.workspace.put_text_document(
        types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text="name: x\n")
    )
    feature.document_changed(uri)
    for version in range(2, 10):  # arrive before the first check gets to run
        edit(server, uri, version, f"name: x\nagents: [{{name: a{version}, depends_on: [zz]}}]\n")
        feature.document_changed(uri)
    await asyncio.gather(*server.tasks)
    assert [p.version for p in server.published] == [9]
    assert [d.code for d in server.published[0].diagnostics] == ["missing-dependency"]


async def test_a_change_during_a_check_triggers_one_more_check_and_drops_the_stale_one(
    tmp_path: Path, monkeypatch: Any
) -> None:
    server = FakeServer(tmp_path)
    feature = DiagnosticsFeature(server)  # type: ignore[arg-type]
    uri = "file:///y.ensemble.yaml"
    server.workspace.put_text_document(
        types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text="name: y\n")
    )
    original = feature._compute
    checked: list[int | None] = []

    def compute_then_edit(document: Any) -> list[types.Diagnostic]:
        checked.append(document.version)
        result = original(document)
        if document.version == 1:  # the user types while version 1 is being checked
            edit(server, uri, 2, "name: y\nagents: [{name: a}]\n")
            feature.document_changed(uri)
        return result

    monkeypatch.setattr(feature, "_compute", compute_then_edit)
    feature.document_changed(uri)
    await asyncio.gather(*server.tasks)
    assert checked == [1, 2]
    assert [p.version for p in server.published] == [2]  # version 1's result was stale
    assert list(server.published[0].diagnostics) == []
