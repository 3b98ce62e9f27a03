"""A pytest-lsp client that records what the llm-orc server sends, and ways to wait for it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pygls.uris import from_fs_path
from pygls.workspace import PositionCodec, TextDocument
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
    features.pop(types.WORKSPACE_DIAGNOSTIC_REFRESH)
    register_lsp_features(client, features)

    @client.feature(types.WORKSPACE_DIAGNOSTIC_REFRESH)
    def on_refresh(ls: RecordingClient, params: None) -> None:
        ls.diagnostic_refresh_count += 1
        ls.note()

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
    if hasattr(value, "_asdict"):  # pygls's namedtuples: before the tuple check, they are tuples
        return {k: _as_dict(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_as_dict(item) for item in value]
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


def ident(document: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=document)


async def complete(
    client: LanguageClient, document: str, position: types.Position
) -> list[types.CompletionItem]:
    """The completion items at POSITION (the server answers with a list, never bare items)."""
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=ident(document), position=position)
    )
    assert isinstance(result, types.CompletionList)
    return list(result.items)


def labels(items: Sequence[types.CompletionItem]) -> list[str]:
    return [item.label for item in items]


def edit_of(item: types.CompletionItem) -> tuple[tuple[int, int, int, int], str]:
    """What a completion item inserts, and where (its range as a tuple)."""
    assert isinstance(item.text_edit, types.TextEdit)
    return as_tuple(item.text_edit.range), item.text_edit.new_text


def by_label(items: Sequence[types.CompletionItem], label: str) -> types.CompletionItem:
    return next(item for item in items if item.label == label)


async def execute_command(client: LanguageClient, command: str, *arguments: Any) -> Any:
    """Send workspace/executeCommand; the result as plain data (dicts and lists)."""
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )
    return _as_dict(result)


def events_of(client: RecordingClient, run_id: str) -> list[dict[str, Any]]:
    """The `llm-orc/runEvent` notifications of one run, in arrival order."""
    return [event for event in client.run_events if event.get("run_id") == run_id]


async def run_finished(client: RecordingClient, run_id: str) -> dict[str, Any]:
    """Wait for the run's `ensemble_finished` event and return it."""

    def finished() -> dict[str, Any] | None:
        return next(
            (e for e in events_of(client, run_id) if e["type"] == "ensemble_finished"), None
        )

    event: dict[str, Any] = await client.until(finished)
    return event


async def run_event(
    client: RecordingClient, run_id: str, type_: str, agent: str | None = None
) -> dict[str, Any]:
    """Wait for the run's first event of TYPE_ (for AGENT, when given) and return it."""

    def found() -> dict[str, Any] | None:
        for event in events_of(client, run_id):
            if event["type"] == type_ and (agent is None or event.get("agent") == agent):
                return event
        return None

    event: dict[str, Any] = await client.until(found)
    return event


def progress_titled(client: LanguageClient, title: str) -> list[tuple[str, list[Any]]]:
    """(token, begin/report/end values) of every work-done progress that began with TITLE."""
    return [
        (str(token), list(reports))
        for token, reports in client.progress_reports.items()
        if reports and getattr(reports[0], "title", None) == title
    ]


def decode_code_actions_faithfully(client: LanguageClient) -> None:
    """lsprotocol 2025.0.0 decodes every code action that carries a `command` as a Command
    (the action's title, its nested command turned into a string): decode by the spec instead,
    where only a Command's `command` is a string."""
    converter = client.protocol._converter

    def hook(data: Any, _: Any) -> types.Command | types.CodeAction:
        if isinstance(data.get("command"), str):
            return converter.structure(data, types.Command)
        return converter.structure(data, types.CodeAction)

    converter.register_structure_hook(types.Command | types.CodeAction, hook)


CURSOR = "‸"
"""Marks the position in `text_with_cursor` texts."""


def text_document(
    text: str,
    *,
    path: str = "/project/.llm-orc/ensembles/e.yaml",
    encoding: types.PositionEncodingKind = types.PositionEncodingKind.Utf16,
    version: int | None = 1,
) -> TextDocument:
    """An in-memory document as the server holds it (UTF-16 positions unless told)."""
    return TextDocument(
        from_fs_path(path) or path, text, version=version, position_codec=PositionCodec(encoding)
    )


def text_with_cursor(
    marked: str, encoding: types.PositionEncodingKind = types.PositionEncodingKind.Utf16
) -> tuple[TextDocument, types.Position]:
    """The document MARKED without its CURSOR mark, and the mark's position in client units."""
    offset = marked.index(CURSOR)
    text = marked.replace(CURSOR, "", 1)
    before = text[:offset]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1 :]
    units = {
        types.PositionEncodingKind.Utf8: len(column.encode("utf-8")),
        types.PositionEncodingKind.Utf16: len(column.encode("utf-16-le")) // 2,
        types.PositionEncodingKind.Utf32: len(column),
    }[encoding]
    return text_document(text, encoding=encoding), types.Position(line, units)


def apply_edits(document: TextDocument, edits: Sequence[types.TextEdit]) -> str:
    """DOCUMENT's text with EDITS (ranges in its client units) applied, as an editor would."""
    spans = []
    for edit in edits:
        start = document.offset_at_position(
            types.Position(edit.range.start.line, edit.range.start.character)
        )
        end = document.offset_at_position(
            types.Position(edit.range.end.line, edit.range.end.character)
        )
        spans.append((start, end, edit.new_text))
    text = document.source
    for start, end, new_text in sorted(spans, reverse=True):
        text = text[:start] + new_text + text[end:]
    return text


def position_of(text: str, needle: str, occurrence: int = 0, offset: int = 0) -> types.Position:
    """The UTF-16 position of the OCCURRENCE-th NEEDLE in TEXT (plus OFFSET code points)."""
    found = -1
    for _ in range(occurrence + 1):
        found = text.index(needle, found + 1)
    before = text[: found + offset]
    column = before[before.rfind("\n") + 1 :]
    return types.Position(before.count("\n"), len(column.encode("utf-16-le")) // 2)
