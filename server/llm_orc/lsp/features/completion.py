"""Completion in ensemble files: schema keys, agent names in depends_on, profiles, providers
and enum values; in ensembles and profiles files, the keys and values of `options` that the
provider's options schema declares. Works while the text does not parse (the context is read
line by line)."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.workspace import TextDocument

from llm_orc.config.profiles import ModelProfile
from llm_orc.lsp import schema_paths
from llm_orc.lsp.conversions import to_client_range, to_position
from llm_orc.lsp.describe import key_markdown, option_markdown, profile_detail, profile_markdown
from llm_orc.lsp.documents import DocumentKind
from llm_orc.lsp.provider_options import (
    OptionsOwner,
    as_yaml,
    option_values,
    options_owner,
    owner_path,
    type_summary,
)
from llm_orc.lsp.yaml_context import (
    CursorContext,
    DocumentState,
    as_yaml_scalar,
    cursor_context,
    state_of,
)
from llm_orc.lsp.yaml_outline import position_in
from llm_orc.providers.registry import provider_names
from llm_orc.validation.diagnostics import Position
from llm_orc.validation.yaml_index import Path

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer

logger = logging.getLogger(__name__)

TRIGGER_CHARACTERS = [":", " ", "-", "[", ",", "{"]
_PROFILE_KEYS = ("model_profile", "fallback_model_profile")


def _markdown(text: str) -> types.MarkupContent:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)


class _Builder:
    """Completion items that replace the context's word, in the client's units."""

    def __init__(self, document: TextDocument, context: CursorContext) -> None:
        self.context = context
        self.range = to_client_range(document, context.replace)
        self.items: list[types.CompletionItem] = []

    def add(
        self,
        label: str,
        kind: types.CompletionItemKind,
        insert: str,
        *,
        detail: str | None = None,
        documentation: str | None = None,
        preselect: bool = False,
    ) -> None:
        self.items.append(
            types.CompletionItem(
                label=label,
                kind=kind,
                detail=detail,
                documentation=_markdown(documentation) if documentation else None,
                sort_text=f"{len(self.items):04d}",
                filter_text=label,
                preselect=preselect or None,
                text_edit=types.TextEdit(range=self.range, new_text=self.context.lead + insert),
            )
        )

    def value(self, text: str) -> str:
        return text if self.context.quoted else as_yaml_scalar(text)


def completion_items(
    document: TextDocument,
    position: types.Position,
    profiles: Mapping[str, ModelProfile],
    providers: Collection[str],
    trigger: str | None = None,
    kind: DocumentKind = DocumentKind.ENSEMBLE,
) -> list[types.CompletionItem]:
    """What can be written at POSITION of DOCUMENT, an ensemble (or, for KIND `PROFILES`, a
    profiles file: there only inside `options`)."""
    state = state_of(document)
    at = to_position(document, position)
    context = cursor_context(state, at)
    if context is None:
        return []
    if trigger == " " and context.kind == "key":
        return []  # a space while indenting should not pop up the key list
    builder = _Builder(document, context)
    if _options(builder, state, kind, profiles, at) or kind is not DocumentKind.ENSEMBLE:
        return builder.items
    if context.kind == "key":
        _keys(builder, state, context.container, at)
    elif context.kind == "item":
        if context.container[-1:] == ("depends_on",):
            _agent_names(builder, state, context.container[:-1], at)
        elif schema_paths.properties_at((*context.container, 0)) and context.item is not None:
            _keys(builder, state, (*context.container, context.item), at)
    else:
        _values(builder, state, context, profiles, providers, at)
    return builder.items


def _options(
    builder: _Builder,
    state: DocumentState,
    kind: DocumentKind,
    profiles: Mapping[str, ModelProfile],
    at: Position,
) -> bool:
    """Keys and values of an agent's or profile's `options`, from its provider's schema; False
    when the cursor is not in an `options` mapping (an unknown or schema-less provider: True,
    and nothing offered)."""
    context = builder.context
    if context.kind == "item" or owner_path(kind, context.container) is None:
        return False

    def written(path: Path) -> Any:
        entry = state.outline.at(path)
        return entry.value if entry is not None else None

    owner = options_owner(kind, context.container, written, profiles)
    if owner is None:
        return True
    if context.kind == "key":
        _option_keys(builder, state, owner, at)
    elif context.key is not None and context.key in owner.properties:
        _option_values(builder, owner, context.key)
    return True


def _option_keys(
    builder: _Builder, state: DocumentState, owner: OptionsOwner, at: Position
) -> None:
    container = builder.context.container
    present = {
        entry.path[-1]
        for entry in state.outline.children(container)
        if entry.key_range is not None and not position_in(entry.key_range, at)
    }
    suffix = "" if builder.context.colon_follows else ": "
    for name, prop in owner.properties.items():
        if name in present:
            continue
        builder.add(
            name,
            types.CompletionItemKind.Property,
            name + suffix,
            detail=f"{type_summary(prop)} ({owner.provider})",
            documentation=option_markdown(owner.provider, name, prop),
        )


def _option_values(builder: _Builder, owner: OptionsOwner, key: str) -> None:
    prop = owner.properties[key]
    for value in option_values(prop):
        default = "default" in prop and _same(value, prop["default"])
        if isinstance(value, str):
            insert = builder.value(value)
        elif builder.context.quoted:
            continue  # inside quotes only text fits
        else:
            insert = as_yaml(value)
        builder.add(
            as_yaml(value),
            types.CompletionItemKind.EnumMember,
            insert,
            detail="default" if default else None,
            preselect=default,
        )


def _same(value: Any, other: Any) -> bool:
    """Equal as JSON values (true is not 1)."""
    return type(value) is type(other) and bool(value == other)


def _keys(builder: _Builder, state: DocumentState, container: Path, at: Position) -> None:
    present = {
        entry.path[-1]
        for entry in state.outline.children(container)
        if entry.key_range is not None and not position_in(entry.key_range, at)
    }
    suffix = "" if builder.context.colon_follows else ": "
    for name in schema_paths.properties_at(container):
        if name in present:
            continue
        builder.add(
            name,
            types.CompletionItemKind.Property,
            name + suffix,
            documentation=key_markdown((*container, name)),
        )


def _agent_names(builder: _Builder, state: DocumentState, agent: Path, at: Position) -> None:
    """Names for a depends_on item of the agent at AGENT: not itself, not already listed."""
    own = state.outline.at((*agent, "name"))
    taken = {own.value} if own is not None else set()
    for item in state.outline.children((*agent, "depends_on")):
        entries = [item, *state.outline.children(item.path)]
        for entry in entries:
            if entry.value_range is not None and position_in(entry.value_range, at):
                continue
            if entry is item or entry.path[-1] == "agent_name":
                taken.add(entry.value)
    for entry in state.outline.entries:
        path = entry.path
        if len(path) != 3 or path[0] != "agents" or path[2] != "name":
            continue
        name = entry.value
        if not name or name in taken or (entry.value_range and position_in(entry.value_range, at)):
            continue
        taken.add(name)
        builder.add(name, types.CompletionItemKind.Reference, builder.value(name), detail="agent")


def _values(
    builder: _Builder,
    state: DocumentState,
    context: CursorContext,
    profiles: Mapping[str, ModelProfile],
    providers: Collection[str],
    at: Position,
) -> None:
    key, container = context.key, context.container
    assert key is not None
    is_agent = len(container) == 2 and container[0] == "agents"
    if is_agent and key in _PROFILE_KEYS:
        for name in sorted(profiles):
            profile = profiles[name]
            builder.add(
                name,
                types.CompletionItemKind.Value,
                builder.value(name),
                detail=profile_detail(profile),
                documentation=profile_markdown(profile),
            )
    elif is_agent and key == "provider":
        for name in sorted(providers):
            builder.add(
                name, types.CompletionItemKind.Module, builder.value(name), detail="provider"
            )
    elif key == "agent_name" and container[-2:-1] == ("depends_on",):
        _agent_names(builder, state, container[:-2], at)
    else:
        for value in schema_paths.enum_at((*container, key)):
            text = str(value)
            builder.add(text, types.CompletionItemKind.EnumMember, builder.value(text))


# -- wiring ---------------------------------------------------------------------------------


def profiles_for(ls: LlmOrcLanguageServer, uri: str) -> Mapping[str, ModelProfile]:
    """The profiles in effect for the document at URI (none when they cannot be read)."""
    path = ls.path_of(uri)
    if path is None:
        return {}
    try:
        return ls.workspaces.for_path(path).profiles
    except Exception:  # a broken config must not break completion
        logger.exception("reading the profiles for %s failed", uri)
        return {}


def register(server: LlmOrcLanguageServer) -> None:
    options = types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, options)
    def completion(
        ls: LlmOrcLanguageServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        uri = params.text_document.uri
        kind = ls.kind_of(uri)
        if kind is DocumentKind.OTHER:
            return None
        document = ls.workspace.get_text_document(uri)
        context = params.context
        trigger = context.trigger_character if context is not None else None
        profiles = profiles_for(ls, uri) if kind is DocumentKind.ENSEMBLE else {}
        items = completion_items(
            document, params.position, profiles, provider_names(), trigger, kind
        )
        return types.CompletionList(is_incomplete=False, items=items)
