"""Go to definition and find references for agent names: from a depends_on entry (or a
`{deps.NAME}` placeholder) to the agent's `name`, and from a name to every depends_on naming it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument

from llm_orc.lsp.conversions import to_client_range, to_position
from llm_orc.lsp.documents import DocumentKind
from llm_orc.lsp.yaml_context import NameOccurrence, state_of

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer


def _location(document: TextDocument, occurrence: NameOccurrence) -> types.Location:
    return types.Location(uri=document.uri, range=to_client_range(document, occurrence.range))


def definition_of(document: TextDocument, position: types.Position) -> list[types.Location]:
    """Where the agent named at POSITION (a depends_on entry or placeholder) is defined."""
    state = state_of(document)
    found = state.name_at(to_position(document, position))
    if found is None or found.kind == "definition":
        return []
    return [
        _location(document, occurrence)
        for occurrence in state.names
        if occurrence.kind == "definition" and occurrence.name == found.name
    ]


def references_to(
    document: TextDocument, position: types.Position, include_declaration: bool
) -> list[types.Location]:
    """Every depends_on entry naming the agent at POSITION (and its definition if asked)."""
    state = state_of(document)
    found = state.name_at(to_position(document, position))
    if found is None:
        return []
    kinds = ("dependency", "definition") if include_declaration else ("dependency",)
    return [
        _location(document, occurrence)
        for occurrence in state.names
        if occurrence.name == found.name and occurrence.kind in kinds
    ]


def register(server: LlmOrcLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(
        ls: LlmOrcLanguageServer, params: types.DefinitionParams
    ) -> list[types.Location] | None:
        uri = params.text_document.uri
        if ls.kind_of(uri) is not DocumentKind.ENSEMBLE:
            return None
        return definition_of(ls.workspace.get_text_document(uri), params.position) or None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(
        ls: LlmOrcLanguageServer, params: types.ReferenceParams
    ) -> list[types.Location] | None:
        uri = params.text_document.uri
        if ls.kind_of(uri) is not DocumentKind.ENSEMBLE:
            return None
        document = ls.workspace.get_text_document(uri)
        include = params.context.include_declaration
        return references_to(document, params.position, include) or None
