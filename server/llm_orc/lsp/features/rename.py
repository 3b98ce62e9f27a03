"""Renaming an agent: its `name`, every depends_on entry naming it and every `{deps.NAME}` in
prompt templates change together. A name that is empty or taken is refused."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException
from pygls.workspace import TextDocument

from llm_orc.lsp.conversions import to_client_range, to_position
from llm_orc.lsp.documents import DocumentKind
from llm_orc.lsp.yaml_context import DocumentState, NameOccurrence, as_yaml_scalar, state_of
from llm_orc.validation.diagnostics import Range

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer

_FORBIDDEN = frozenset("{}\n\r\t\x85\u2028\u2029")


class RenameError(ValueError):
    """Why a rename is refused (shown to the user)."""


def _named_at(
    state: DocumentState, document: TextDocument, position: types.Position
) -> NameOccurrence | None:
    occurrence = state.name_at(to_position(document, position))
    if occurrence is not None and not state.parses:
        raise RenameError("the file has YAML syntax errors: fix them before renaming an agent")
    return occurrence


def prepare_rename_at(
    document: TextDocument, position: types.Position
) -> types.PrepareRenamePlaceholder | None:
    """The agent name at POSITION that can be renamed, with its current text."""
    state = state_of(document)
    occurrence = _named_at(state, document, position)
    if occurrence is None:
        return None
    return types.PrepareRenamePlaceholder(
        range=to_client_range(document, occurrence.text_range), placeholder=occurrence.name
    )


def rename_edits(
    document: TextDocument, position: types.Position, new_name: str
) -> list[types.TextEdit] | None:
    """The edits renaming the agent at POSITION to NEW_NAME; None when nothing there is an
    agent name. Raises RenameError when NEW_NAME cannot be used."""
    state = state_of(document)
    found = _named_at(state, document, position)
    if found is None:
        return None
    old = found.name
    if not new_name.strip():
        raise RenameError("an agent name cannot be empty")
    if any(char in _FORBIDDEN for char in new_name):
        raise RenameError(
            "an agent name cannot contain braces, tabs or line breaks "
            "(it is written inside {deps.NAME} placeholders)"
        )
    if new_name == old:
        return []
    if any(agent.name == new_name for agent in state.agents):
        raise RenameError(f"there is already an agent named '{new_name}'")
    edits = [
        (_target(occurrence), _written(occurrence, new_name))
        for occurrence in state.names
        if occurrence.name == old
    ]
    renamed = DocumentState(document.uri, None, state.edited(edits))
    if not renamed.parses or not any(agent.name == new_name for agent in renamed.agents):
        raise RenameError(f"'{new_name}' cannot be written here without breaking the YAML")
    return [
        types.TextEdit(range=to_client_range(document, where), new_text=text)
        for where, text in edits
    ]


def _target(occurrence: NameOccurrence) -> Range:
    return occurrence.text_range if occurrence.kind == "placeholder" else occurrence.range


def _written(occurrence: NameOccurrence, name: str) -> str:
    if occurrence.kind != "placeholder":
        return as_yaml_scalar(name)
    if occurrence.quote == '"':
        return json.dumps(name, ensure_ascii=False)[1:-1]
    if occurrence.quote == "'":
        return name.replace("'", "''")
    return name


def _refused(error: RenameError) -> JsonRpcException:
    return JsonRpcException(str(error), code=types.LSPErrorCodes.RequestFailed)


def register(server: LlmOrcLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(
        ls: LlmOrcLanguageServer, params: types.PrepareRenameParams
    ) -> types.PrepareRenamePlaceholder | None:
        uri = params.text_document.uri
        if ls.kind_of(uri) is not DocumentKind.ENSEMBLE:
            return None
        try:
            return prepare_rename_at(ls.workspace.get_text_document(uri), params.position)
        except RenameError as error:
            raise _refused(error) from None

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    def rename(ls: LlmOrcLanguageServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        uri = params.text_document.uri
        if ls.kind_of(uri) is not DocumentKind.ENSEMBLE:
            return None
        document = ls.workspace.get_text_document(uri)
        try:
            edits = rename_edits(document, params.position, params.new_name)
        except RenameError as error:
            raise _refused(error) from None
        if edits is None:
            return None
        versioned = get_capability(
            ls.client_capabilities, "workspace.workspace_edit.document_changes", False
        )
        if versioned:
            identifier = types.OptionalVersionedTextDocumentIdentifier(
                uri=uri, version=document.version
            )
            change = types.TextDocumentEdit(text_document=identifier, edits=list(edits))
            return types.WorkspaceEdit(document_changes=[change])
        return types.WorkspaceEdit(changes={uri: list(edits)})
