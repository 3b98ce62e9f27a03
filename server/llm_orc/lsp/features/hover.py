"""Hover in ensemble files: what a key means (from the schema), the profile a name resolves to,
and a summary of the agent a name refers to; in ensembles and profiles files, what an `options`
key means to the provider (from its options schema)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.workspace import TextDocument

from llm_orc.config.profiles import ModelProfile
from llm_orc.lsp.conversions import to_client_range, to_position
from llm_orc.lsp.describe import agent_markdown, key_markdown, option_markdown, profile_markdown
from llm_orc.lsp.documents import DocumentKind
from llm_orc.lsp.features.completion import profiles_for
from llm_orc.lsp.provider_options import options_owner, owner_path
from llm_orc.lsp.yaml_context import DocumentState, state_of
from llm_orc.validation.diagnostics import Range
from llm_orc.validation.yaml_index import Path

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer

_PROFILE_KEYS = ("model_profile", "fallback_model_profile")


def hover_at(
    document: TextDocument,
    position: types.Position,
    profiles: Mapping[str, ModelProfile],
    kind: DocumentKind = DocumentKind.ENSEMBLE,
) -> types.Hover | None:
    """The hover for POSITION of DOCUMENT, an ensemble (or, for KIND `PROFILES`, a profiles
    file: there only on `options` keys)."""
    state = state_of(document)
    at = to_position(document, position)
    text: str | None = None
    where: Range | None = None
    occurrence = state.name_at(at) if kind is DocumentKind.ENSEMBLE else None
    found = state.entry_at(at) if occurrence is None else None
    if occurrence is not None:
        agent = next((a for a in state.agents if a.name == occurrence.name), None)
        if agent is not None:
            text, where = agent_markdown(agent), occurrence.range
    elif found is not None:
        entry, part = found
        path = entry.path
        if part == "key" and owner_path(kind, path[:-1]) is not None:
            text, where = _option_markdown(state, kind, path, profiles), entry.key_range
        elif kind is not DocumentKind.ENSEMBLE:
            pass
        elif part == "key":
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


def _option_markdown(
    state: DocumentState, kind: DocumentKind, path: Path, profiles: Mapping[str, ModelProfile]
) -> str | None:
    """What the option key at PATH means to its provider (None: not in its schema)."""

    def written(at: Path) -> Any:
        entry = state.by_path.get(at)
        return entry.value if entry is not None else None

    owner = options_owner(kind, path[:-1], written, profiles)
    name = path[-1]
    if owner is None or not isinstance(name, str) or name not in owner.properties:
        return None
    return option_markdown(owner.provider, name, owner.properties[name])


def register(server: LlmOrcLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LlmOrcLanguageServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        kind = ls.kind_of(uri)
        if kind is DocumentKind.OTHER:
            return None
        document = ls.workspace.get_text_document(uri)
        profiles = profiles_for(ls, uri) if kind is DocumentKind.ENSEMBLE else {}
        return hover_at(document, params.position, profiles, kind)
