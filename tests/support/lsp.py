"""A pytest-lsp client that records what the llm-orc server sends, and ways to wait for it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER_COMMAND = [sys.executable, "-m", "llm_orc.lsp"]
WAIT_SECONDS = 30


class RecordingClient(LanguageClient):
    """Keeps every publishDiagnostics and llm-orc/runEvent, and wakes waiters on each."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.run_events: list[dict[str, Any]] = []
        self.registrations: list[types.Registration] = []
        self.changed = asyncio.Event()

    def note(self) -> None:
        self.changed.set()

    async def until(self, check: Callable[[], Any]) -> Any:
        """Wait until CHECK returns something truthy (re-checked on every message recorded);
        fail after WAIT_SECONDS."""
        async with asyncio.timeout(WAIT_SECONDS):
            while not (value := check()):
                self.changed.clear()
                await self.changed.wait()
            return value

    async def diagnostics_for(self, uri: str, version: int | None = None) -> list[types.Diagnostic]:
        """The diagnostics published for URI (for VERSION, when given)."""

        def published() -> list[types.Diagnostic] | None:
            for params in reversed(self.published):
                if params.uri == uri and (version is None or params.version == version):
                    return list(params.diagnostics)
            return None

        found: list[list[types.Diagnostic]] = await self.until(
            lambda: (items := published()) is not None and [items]
        )
        return found[0]


def make_client() -> RecordingClient:
    client = RecordingClient()
    features = dict(DEFAULT_CLIENT_FEATURES)
    features.pop(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    register_lsp_features(client, features)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(ls: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
        ls.diagnostics[params.uri] = params.diagnostics
        ls.published.append(params)
        ls.note()

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(ls: RecordingClient, params: types.RegistrationParams) -> None:
        ls.registrations.extend(params.registrations)
        ls.note()

    @client.feature("llm-orc/runEvent")
    def on_run_event(ls: RecordingClient, params: Any) -> None:
        ls.run_events.append(params if isinstance(params, dict) else _as_dict(params))
        ls.note()

    return client


def _as_dict(value: Any) -> Any:
    """Custom notification params arrive as attrs-like objects: turn them into plain data."""
    if isinstance(value, list | tuple):
        return [_as_dict(item) for item in value]
    if hasattr(value, "_asdict"):
        return {k: _as_dict(v) for k, v in value._asdict().items()}
    if hasattr(value, "__dict__"):
        return {k: _as_dict(v) for k, v in vars(value).items()}
    return value


def uri(path: Path) -> str:
    result = from_fs_path(str(path))
    assert result is not None
    return result


def open_document(client: LanguageClient, path: Path, text: str, language: str = "yaml") -> str:
    """Send didOpen for PATH with TEXT (the file need not exist); returns its URI."""
    document_uri = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id=language, version=1, text=text
            )
        )
    )
    return document_uri


def change_document(client: LanguageClient, document_uri: str, version: int, text: str) -> None:
    """Send a full-text didChange."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=document_uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def as_tuple(range_: types.Range) -> tuple[int, int, int, int]:
    return (range_.start.line, range_.start.character, range_.end.line, range_.end.character)
