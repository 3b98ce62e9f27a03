"""Quick fixes for the validator's diagnostics: add a missing agent, remove a dependency, or
change a name to the near miss the message suggests.

Clients ask for code actions on every cursor move, so fixes are computed from the diagnostics
in the request and the document's text only (its parse is cached per version), and only when
one of those diagnostics is ours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument

from llm_orc.lsp.conversions import SOURCE, to_client_range, to_position
from llm_orc.lsp.documents import DocumentKind
from llm_orc.lsp.yaml_context import DocumentState, IndexEntry, as_yaml_scalar, state_of
from llm_orc.lsp.yaml_outline import unquote
from llm_orc.validation.diagnostics import Position, Range
from llm_orc.validation.references import PLACEHOLDER

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer

NEW_AGENT_PROFILE = "default"
_DID_YOU_MEAN = re.compile(r"; did you mean '(.+)'\?$")
_RENAMEABLE = ("missing-dependency", "unknown-profile", "unknown-key", "unknown-provider")
_Edit = tuple[Range, str]


def quick_fixes(
    document: TextDocument, diagnostics: Sequence[types.Diagnostic]
) -> list[types.CodeAction]:
    """The fixes for DIAGNOSTICS (those of llm-orc) in DOCUMENT."""
    actions: list[types.CodeAction] = []
    for diagnostic in diagnostics:
        if diagnostic.source != SOURCE:
            continue
        code = str(diagnostic.code)
        where = Range(
            to_position(document, diagnostic.range.start),
            to_position(document, diagnostic.range.end),
        )
        hint = _DID_YOU_MEAN.search(diagnostic.message)
        fixes: list[tuple[str, list[_Edit], bool]] = []
        state = state_of(document)
        if hint is not None:
            change = _change(state, code, where, diagnostic.message, hint.group(1))
            if change is not None:
                fixes.append((f"Change to '{hint.group(1)}'", [change], True))
        if code == "missing-dependency":
            fixes.extend(_dependency_fixes(state, where, diagnostic.message))
        actions.extend(
            _action(document, diagnostic, title, edits, preferred)
            for title, edits, preferred in fixes
        )
    return actions


def _action(
    document: TextDocument,
    diagnostic: types.Diagnostic,
    title: str,
    edits: list[_Edit],
    preferred: bool,
) -> types.CodeAction:
    text_edits = [
        types.TextEdit(range=to_client_range(document, where), new_text=text)
        for where, text in edits
    ]
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=preferred or None,
        edit=types.WorkspaceEdit(changes={document.uri: text_edits}),
    )


def _change(
    state: DocumentState, code: str, where: Range, message: str, suggestion: str
) -> _Edit | None:
    """Replace the name at WHERE by SUGGESTION, if WHERE still holds the name the message is
    about (the diagnostic may be older than the text)."""
    written = state.text_in(where)
    if code == "unknown-placeholder":
        match = PLACEHOLDER.fullmatch(written)
        if match is None or match.group(2) is None or written not in message:
            return None
        return where, "{deps." + suggestion + "}"
    if code not in _RENAMEABLE or f"'{unquote(written)}'" not in message:
        return None
    return where, as_yaml_scalar(suggestion)


# -- missing-dependency ---------------------------------------------------------------------


def _dependency_fixes(
    state: DocumentState, where: Range, message: str
) -> list[tuple[str, list[_Edit], bool]]:
    item = next(
        (
            entry
            for entry in state.index
            if entry.value_range == where
            and isinstance(entry.value, str)
            and len(entry.path) in (4, 5)
            and entry.path[0] == "agents"
            and entry.path[2] == "depends_on"
        ),
        None,
    )
    if item is None or f"depends_on names '{item.value}'" not in message:
        return []  # the text changed since the diagnostic was made
    name: str = item.value
    fixes: list[tuple[str, list[_Edit], bool]] = []
    added = _add_agent(state, name)
    if added is not None:
        fixes.append((f"Add agent '{name}'", [added], False))
    removed = _remove_item(state, item.path[:4])
    if removed is not None:
        fixes.append((f"Remove dependency '{name}'", [removed], False))
    return fixes


def _after_colon(state: DocumentState, key: Range) -> str:
    """The first character written after `key:`."""
    line = state.lines[key.end.line]
    rest = line[key.end.column :].lstrip(" \t")
    return rest[1:].lstrip(" \t")[:1] if rest.startswith(":") else ""


def _items(state: DocumentState, sequence: tuple[str | int, ...]) -> list[IndexEntry]:
    depth = len(sequence) + 1
    return [
        entry
        for entry in state.index
        if len(entry.path) == depth
        and entry.path[:-1] == sequence
        and isinstance(entry.path[-1], int)
    ]


def _add_agent(state: DocumentState, name: str) -> _Edit | None:
    """A new agent NAME at the end of `agents`, written like the agents before it."""
    agents = state.by_path.get(("agents",))
    items = _items(state, ("agents",))
    if agents is None or agents.key_range is None or not items:
        return None
    written = as_yaml_scalar(name)
    if _after_colon(state, agents.key_range) == "[":
        last = max(item.end for item in items)
        return Range(last, last), f", {{name: {written}, model_profile: {NEW_AGENT_PROFILE}}}"
    first = items[0].start
    before = state.lines[first.line][: first.column].rstrip()
    dash = len(before) - 1 if before.endswith("-") else max(first.column - 2, 0)
    key_column = max(first.column, dash + 2)
    end_line = max(item.end for item in items).line
    at = Position(end_line, len(state.lines[end_line]))
    text = (
        f"\n{' ' * dash}-{' ' * (key_column - dash - 1)}name: {written}"
        f"\n{' ' * key_column}model_profile: {NEW_AGENT_PROFILE}"
    )
    return Range(at, at), text


def _remove_item(state: DocumentState, item_path: tuple[str | int, ...]) -> _Edit | None:
    """Delete one depends_on item, leaving `[]` when it was the only one."""
    key = state.by_path.get(item_path[:-1])
    items = _items(state, item_path[:-1])
    index = next((n for n, item in enumerate(items) if item.path == item_path), None)
    if key is None or key.key_range is None or index is None:
        return None
    item = items[index]
    if _after_colon(state, key.key_range) == "[":
        if len(items) == 1:
            return Range(item.start, item.end), ""
        if index > 0:
            return Range(items[index - 1].end, item.end), ""
        return Range(item.start, items[1].start), ""
    last = item.end.line
    if len(items) == 1:
        return Range(key.key_range.end, Position(last, len(state.lines[last]))), ": []"
    first = item.start.line
    if last + 1 < len(state.lines):
        return Range(Position(first, 0), Position(last + 1, 0)), ""
    previous = first - 1
    return Range(
        Position(previous, len(state.lines[previous])), Position(last, len(state.lines[last]))
    ), ""


# -- wiring ---------------------------------------------------------------------------------


def _covers_quick_fixes(kind: types.CodeActionKind | str) -> bool:
    value = kind.value if isinstance(kind, types.CodeActionKind) else kind
    quick_fix = types.CodeActionKind.QuickFix.value
    return value == "" or quick_fix == value or quick_fix.startswith(value + ".")


def _provider(ls: LlmOrcLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    only = params.context.only
    if only is not None and not any(_covers_quick_fixes(kind) for kind in only):
        return []
    ours = [d for d in params.context.diagnostics if d.source == SOURCE]
    if not ours or ls.kind_of(uri) is not DocumentKind.ENSEMBLE:
        return []
    return quick_fixes(ls.workspace.get_text_document(uri), ours)


def register(server: LlmOrcLanguageServer) -> None:
    server.code_action_providers.append(_provider)
