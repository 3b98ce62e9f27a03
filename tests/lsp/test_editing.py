"""Editing features end to end: the real server, a pytest-lsp client as the editor."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig

from llm_orc.config.profiles import ModelProfile, builtin_profiles
from llm_orc.validation import validate_ensemble_text
from support.lsp import (
    SERVER_COMMAND,
    RecordingClient,
    apply_edits,
    as_tuple,
    change_document,
    complete,
    ident,
    make_client,
    open_document,
    position_of,
    text_document,
    uri,
)

TEXT = """\
name: team
description: "Größe 🎵"
agents:
  - name: reader
    model_profile: fake
  - name: writer
    model_profile: echo
    depends_on: [reader]
    prompt_template: "Rewrite {deps.reader}"
"""


def ensemble_path(project: Path, name: str = "team.yaml") -> Path:
    return project / ".llm-orc" / "ensembles" / name


async def test_completion_of_keys_names_profiles_and_providers(
    client: RecordingClient, project: Path
) -> None:
    text = TEXT + "    mod\n"
    document = open_document(client, ensemble_path(project), text)
    keys = await complete(client, document, types.Position(9, 7))
    key = next(item for item in keys if item.label == "model")
    assert isinstance(key.text_edit, types.TextEdit)
    assert (as_tuple(key.text_edit.range), key.text_edit.new_text) == ((9, 4, 9, 7), "model: ")
    assert isinstance(key.documentation, types.MarkupContent)
    assert key.documentation.value.startswith("**model**\n\nThe model to use.")
    assert "model_profile" not in [item.label for item in keys]  # writer has one

    profile_line = "  - name: critic\n    model_profile: \n"
    change_document(client, document, 2, TEXT + profile_line)
    profiles = await complete(client, document, types.Position(10, 19))
    assert [item.label for item in profiles] == ["default", "echo", "fake", "local"]
    fake = profiles[2]
    assert fake.detail == "fake-model (scripted)"

    unparsable = TEXT + "  - name: critic\n    depends_on: [writer, "
    change_document(client, document, 3, unparsable)
    names = await complete(client, document, types.Position(10, 25))
    assert [(item.label, item.text_edit.new_text) for item in names if item.text_edit] == [
        ("reader", "reader")
    ]

    change_document(client, document, 4, TEXT + "    provider: \n")
    providers = [item.label for item in await complete(client, document, types.Position(9, 14))]
    assert {"local", "scripted"} <= set(providers)


async def test_no_completion_or_hover_outside_ensembles(
    client: RecordingClient, project: Path
) -> None:
    document = open_document(client, project / "docker-compose.yaml", "services:\n  a: \n")
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=ident(document), position=types.Position(1, 5))
    )
    assert result is None
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=ident(document), position=types.Position(0, 2))
    )
    assert hover is None


async def hover_text(
    client: RecordingClient, document: str, position: types.Position
) -> tuple[tuple[int, int, int, int], str]:
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=ident(document), position=position)
    )
    assert hover is not None and hover.range is not None
    assert isinstance(hover.contents, types.MarkupContent)
    return as_tuple(hover.range), hover.contents.value


async def test_hover_on_a_key_a_profile_and_a_dependency(
    client: RecordingClient, project: Path
) -> None:
    document = open_document(client, ensemble_path(project), TEXT)
    key_range, key = await hover_text(client, document, position_of(TEXT, "depends_on", offset=3))
    assert key_range == (7, 4, 7, 14)
    assert key.startswith("**depends_on**\n\nAgents whose results this agent needs.")

    profile_range, profile = await hover_text(client, document, position_of(TEXT, "fake"))
    assert profile_range == (4, 19, 4, 23)
    config = project / ".llm-orc" / "config.yaml"
    assert profile.splitlines()[2:4] == ["- model: `fake-model`", "- provider: `scripted`"]
    assert profile.endswith(f"- defined in: `{config}`")

    dep_range, dep = await hover_text(client, document, position_of(TEXT, "[reader]", offset=2))
    assert dep_range == (7, 17, 7, 23)
    assert dep == "**reader** (agent)\n\n- profile: `fake`\n- depends on: nothing"


async def test_definition_and_references_of_an_agent(
    client: RecordingClient, project: Path
) -> None:
    document = open_document(client, ensemble_path(project), TEXT)
    definition = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=ident(document), position=position_of(TEXT, "[reader]", offset=3)
        )
    )
    assert isinstance(definition, list)
    [location] = definition
    assert isinstance(location, types.Location)
    assert (location.uri, as_tuple(location.range)) == (document, (3, 10, 3, 16))

    references = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=ident(document),
            position=position_of(TEXT, "name: reader", offset=8),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert references is not None
    assert [as_tuple(loc.range) for loc in references] == [(3, 10, 3, 16), (7, 17, 7, 23)]


async def test_rename_an_agent_and_the_refusal_of_a_taken_name(
    client: RecordingClient, project: Path
) -> None:
    document = open_document(client, ensemble_path(project), TEXT)
    position = position_of(TEXT, "name: reader", offset=9)
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=ident(document), position=position)
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert (as_tuple(prepared.range), prepared.placeholder) == ((3, 10, 3, 16), "reader")

    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=ident(document), position=position, new_name="scout")
    )
    assert edit is not None and edit.document_changes is not None  # VS Code takes versioned edits
    [change] = edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 1
    edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
    assert sorted(as_tuple(e.range) for e in edits) == [
        (3, 10, 3, 16),
        (7, 17, 7, 23),
        (8, 36, 8, 42),
    ]
    renamed = apply_edits(text_document(TEXT), edits)
    assert renamed == TEXT.replace("reader", "scout")

    with pytest.raises(JsonRpcException, match="there is already an agent named 'writer'"):
        await client.text_document_rename_async(
            types.RenameParams(text_document=ident(document), position=position, new_name="writer")
        )


async def test_document_symbols_are_hierarchical_for_vs_code(
    client: RecordingClient, project: Path
) -> None:
    document = open_document(client, ensemble_path(project), TEXT)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=ident(document))
    )
    assert symbols is not None
    [ensemble] = symbols
    assert isinstance(ensemble, types.DocumentSymbol)
    assert (ensemble.name, ensemble.kind) == ("team", types.SymbolKind.Module)
    agents = ensemble.children or []
    assert [(a.name, a.detail, as_tuple(a.range)) for a in agents] == [
        ("reader", None, (3, 4, 4, 23)),
        ("writer", "depends on: reader", (5, 4, 8, 44)),
    ]


PLAIN_ENV = {
    **os.environ,
    "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="llm-orc-lsp-xdg-plain-"),
}


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND, client_factory=make_client, server_env=PLAIN_ENV
    )
)
async def plain_client(lsp_client: RecordingClient, project: Path) -> AsyncIterator[None]:
    """An editor that declares no capabilities beyond the defaults (flat symbols)."""
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=uri(project))
    )
    yield
    await lsp_client.shutdown_session()


async def test_document_symbols_are_flat_for_a_client_without_hierarchy(
    plain_client: RecordingClient, project: Path
) -> None:
    document = open_document(plain_client, ensemble_path(project), TEXT)
    symbols = await plain_client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=ident(document))
    )
    assert symbols is not None
    assert all(isinstance(symbol, types.SymbolInformation) for symbol in symbols)
    assert [(s.name, getattr(s, "container_name", None)) for s in symbols] == [
        ("team", None),
        ("reader", "team"),
        ("writer", "team"),
    ]


BROKEN = """\
name: team
description: "🎵"
agents:
  - name: reader
    model_profile: fakee
  - name: writer
    model_profile: echo
    depends_on:
      - reeder
"""


async def test_quick_fixes_applied_give_an_ensemble_the_validator_accepts(
    client: RecordingClient, project: Path
) -> None:
    document = open_document(client, ensemble_path(project), BROKEN)
    diagnostics = await client.diagnostics_for(document, version=1)
    assert sorted(str(d.code) for d in diagnostics) == ["missing-dependency", "unknown-profile"]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=ident(document),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    assert actions is not None
    found = {action.title: action for action in actions if isinstance(action, types.CodeAction)}
    assert sorted(found) == [
        "Add agent 'reeder'",
        "Change to 'fake'",
        "Change to 'reader'",
        "Remove dependency 'reeder'",
    ]
    assert [title for title, action in found.items() if action.is_preferred] == [
        "Change to 'fake'",
        "Change to 'reader'",
    ]
    profiles = {
        **builtin_profiles(),
        "fake": ModelProfile(name="fake", model="fake-model", provider="scripted"),
        "echo": ModelProfile(name="echo", model="fake-model", provider="scripted"),
    }
    fix_profile = found["Change to 'fake'"].edit
    assert fix_profile is not None and fix_profile.changes is not None
    profile_fixed = apply_edits(text_document(BROKEN), fix_profile.changes[document])
    for title, expected_tail in [
        ("Change to 'reader'", "    depends_on:\n      - reader\n"),
        ("Remove dependency 'reeder'", "    depends_on: []\n"),
        ("Add agent 'reeder'", "  - name: reeder\n    model_profile: default\n"),
    ]:
        edit = found[title].edit
        assert edit is not None and edit.changes is not None
        fixed = apply_edits(text_document(profile_fixed), edit.changes[document])
        assert fixed.endswith(expected_tail), title
        report = validate_ensemble_text(fixed, profiles=profiles, providers=["scripted", "local"])
        assert report.diagnostics == [], (title, report.diagnostics)
