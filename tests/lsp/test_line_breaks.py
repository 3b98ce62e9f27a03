"""Lines as editors count them: LSP ends a line only at \\n, \\r\\n or \\r, while YAML also
breaks at U+2028, U+2029 and U+0085. A diagnostic after such a character must land on its
own line and column in the editor, not one line off."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from support.lsp import (
    RecordingClient,
    as_tuple,
    open_document,
    position_of,
)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
async def test_a_diagnostic_after_a_yaml_only_line_break_lands_where_the_editor_shows_it(
    client: RecordingClient, project: Path, separator: str
) -> None:
    line = "  - {name: a, system_prompt: 'x" + separator + "y 🎵', temprature: 1}"
    text = f'name: x\ndescription: "one{separator}two"\nagents:\n{line}\n'
    path = project / ".llm-orc" / "ensembles" / "breaks.yaml"
    document = open_document(client, path, text)
    [diagnostic] = await client.diagnostics_for(document, version=1)
    assert diagnostic.code == "unknown-key"
    # UTF-16 columns: 🎵 is two units; the separators are one each and not line ends.
    start = len(line[: line.index("temprature")].encode("utf-16-le")) // 2
    assert as_tuple(diagnostic.range) == (3, start, 3, start + len("temprature"))


async def test_a_lone_surrogate_from_the_client_is_a_located_diagnostic(
    client: RecordingClient, project: Path
) -> None:
    # JSON-RPC can carry "\udfff" (an escaped lone surrogate) into the server.
    text = "name: x\ndescription: a\udfffb\nagents:\n  - name: a\n"
    path = project / ".llm-orc" / "ensembles" / "surrogate.yaml"
    document = open_document(client, path, text)
    [diagnostic] = await client.diagnostics_for(document, version=1)
    assert diagnostic.code == "yaml-syntax"
    assert diagnostic.message.startswith("unacceptable character #xdfff")
    assert as_tuple(diagnostic.range) == (1, 14, 1, 15)


async def test_rename_and_quick_fixes_after_a_yaml_only_line_break_edit_the_right_place(
    client: RecordingClient, project: Path
) -> None:
    text = (
        'name: x\ndescription: "one\u2028two"\nagents:\n  - name: reader\n'
        "  - name: writer\n    depends_on: [reeder]\n    prompt_template: 'Use {deps.reader}'\n"
    )
    path = project / ".llm-orc" / "ensembles" / "breaks-edit.yaml"
    document = open_document(client, path, text)
    ident = types.TextDocumentIdentifier(uri=document)
    diagnostics = await client.diagnostics_for(document, version=1)
    assert [d.code for d in diagnostics] == ["missing-dependency", "unknown-placeholder"]
    diagnostic = diagnostics[0]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=ident,
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    titled = {a.title: a for a in actions or [] if isinstance(a, types.CodeAction)}
    change = titled["Change to 'reader'"].edit
    assert change is not None and change.changes is not None
    # Line 5 is `    depends_on: [reeder]`: U+2028 inside the description starts no line.
    assert [(as_tuple(e.range), e.new_text) for e in change.changes[document]] == [
        ((5, 17, 5, 23), "reader")
    ]

    edit = await client.text_document_rename_async(
        types.RenameParams(
            text_document=ident, position=position_of(text, "reader", offset=1), new_name="scout"
        )
    )
    assert edit is not None and edit.document_changes is not None
    [changes] = edit.document_changes
    assert isinstance(changes, types.TextDocumentEdit)
    edits = [e for e in changes.edits if isinstance(e, types.TextEdit)]
    assert sorted((as_tuple(e.range), e.new_text) for e in edits) == [
        ((3, 10, 3, 16), "scout"),
        ((6, 32, 6, 38), "scout"),
    ]
