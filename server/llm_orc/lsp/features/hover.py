"""Hover in ensemble files: what a key means (from the schema), the profile a name resolves to,
and a summary of the agent a name refers to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument

from llm_orc.config.profiles import ModelProfile
from llm_orc.lsp.conversions import to_client_range, to_position
from llm_orc.lsp.describe import agent_markdown, key_markdown, profile_markdown
from llm_orc.lsp.documents import DocumentKind
from llm_orc.lsp.features.completion import profiles_for
from llm_orc.lsp.yaml_context import state_of
from llm_orc.validation.diagnostics import Range

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer

_PROFILE_KEYS = ("model_profile", "fallback_model_profile")


def hover_at(
    document: TextDocument, position: types.Position, profiles: Mapping[str, ModelProfile]
) -> types.Hover | None:
    """The hover for POSITION of the ensemble DOCUMENT."""
    state = state_of(document)
    at = to_position(document, position)
    text: str | None = None
    where: Range | None = None
    occurrence = state.name_at(at)
    if occurrence is not None:
        agent = next((a for a in state.agents if a.name == occurrence.name), None)
        if agent is not None:
            text, where = agent_markdown(agent), occurrence.range
    else:
        found = state.entry_at(at)
        if found is not None:
            entry, part = found
            path = entry.path
            if part == "key":
                text, where = key_markdown(path), entry.key_range
            elif (
                len(path) == 3
                and path[0] == "agents"
                and path[2] in _PROFILE_KEYS
                and isinstance(entry.value, str)
                and entry.value in profiles
            ):
                text, where = profile_markdown(profiles[entry.value]), entry.value_range
    if text is None or where is None:
        return None
    contents = types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
    return types.Hover(contents=contents, range=to_client_range(document, where))


def register(server: LlmOrcLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LlmOrcLanguageServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        if ls.kind_of(uri) is not DocumentKind.ENSEMBLE:
            return None
        document = ls.workspace.get_text_document(uri)
        return hover_at(document, params.position, profiles_for(ls, uri))
