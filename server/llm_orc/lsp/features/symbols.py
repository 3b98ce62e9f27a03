"""Document symbols: the ensemble, with its agents as children (`depends on: a, b` as detail).
Hierarchical when the client supports it, else a flat list."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.workspace import TextDocument

from llm_orc.lsp.conversions import to_client_range
from llm_orc.lsp.documents import DocumentKind
from llm_orc.lsp.yaml_context import AgentInfo, DocumentState, state_of
from llm_orc.validation.diagnostics import Position, Range

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer

ENSEMBLE_KIND = types.SymbolKind.Module
AGENT_KIND = types.SymbolKind.Function


def _ensemble_name(state: DocumentState) -> tuple[str, Range | None]:
    entry = state.by_path.get(("name",))
    if entry is not None and isinstance(entry.value, str) and entry.value:
        return entry.value, entry.value_range
    stem = PurePosixPath(state.uri).name
    return stem.split(".", 1)[0] or "ensemble", None


def _agent_name(agent: AgentInfo) -> str:
    return agent.name or f"agents[{agent.index}]"


def _detail(agent: AgentInfo) -> str | None:
    return "depends on: " + ", ".join(name for name, _ in agent.deps) if agent.deps else None


def _whole(state: DocumentState) -> Range:
    last = len(state.lines) - 1
    return Range(Position(0, 0), Position(last, len(state.lines[last])))


def document_symbols(document: TextDocument) -> list[types.DocumentSymbol]:
    """The ensemble symbol with one child per agent."""
    state = state_of(document)
    if not state.index:
        return []
    name, name_range = _ensemble_name(state)
    whole = _whole(state)
    children = []
    for agent in state.agents:
        extent = Range(agent.start, agent.end)
        selection = agent.name_range or Range(agent.start, agent.start)
        children.append(
            types.DocumentSymbol(
                name=_agent_name(agent),
                kind=AGENT_KIND,
                range=to_client_range(document, extent),
                selection_range=to_client_range(document, selection),
                detail=_detail(agent),
            )
        )
    ensemble = types.DocumentSymbol(
        name=name,
        kind=ENSEMBLE_KIND,
        range=to_client_range(document, whole),
        selection_range=to_client_range(document, name_range or Range(whole.start, whole.start)),
        detail="ensemble",
        children=children,
    )
    return [ensemble]


def flat_symbols(document: TextDocument) -> list[types.SymbolInformation]:
    """The same as SymbolInformation, for clients without hierarchical symbols."""
    out: list[types.SymbolInformation] = []
    for ensemble in document_symbols(document):
        out.append(
            types.SymbolInformation(
                name=ensemble.name,
                kind=ensemble.kind,
                location=types.Location(uri=document.uri, range=ensemble.range),
            )
        )
        for agent in ensemble.children or []:
            out.append(
                types.SymbolInformation(
                    name=agent.name,
                    kind=agent.kind,
                    location=types.Location(uri=document.uri, range=agent.range),
                    container_name=ensemble.name,
                )
            )
    return out


def register(server: LlmOrcLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(
        ls: LlmOrcLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
        uri = params.text_document.uri
        if ls.kind_of(uri) is not DocumentKind.ENSEMBLE:
            return None
        document = ls.workspace.get_text_document(uri)
        hierarchical = get_capability(
            ls.client_capabilities,
            "text_document.document_symbol.hierarchical_document_symbol_support",
            False,
        )
        return document_symbols(document) if hierarchical else flat_symbols(document)
