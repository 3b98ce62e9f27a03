"""Starting runs from the editor: code actions on a selection, "Run this ensemble" lenses."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

from lsprotocol import types

from llm_orc.lsp.features.run_actions import ensemble_order, looks_like_code, name_line
from support.lsp import RecordingClient, decode_code_actions_faithfully, open_document

BUILT_IN = ["code-review", "explain-and-summarize", "ticket-triage"]

SOURCE = 'def greet(name):\n    return "hi " + name  # 🎵\n'

ENSEMBLE = """\
# Greets whoever asks.
name: greet
agents:
  - {name: greeter, model_profile: fake}
"""


def add_ensembles(project: Path, *names: str) -> None:
    for name in names:
        path = project / ".llm-orc" / "ensembles" / f"{name}.yaml"
        path.write_text(f"name: {name}\nagents:\n  - {{name: a, model_profile: fake}}\n")


def span(start: tuple[int, int], end: tuple[int, int]) -> types.Range:
    return types.Range(
        start=types.Position(line=start[0], character=start[1]),
        end=types.Position(line=end[0], character=end[1]),
    )


async def code_actions(
    client: RecordingClient, document: str, range_: types.Range
) -> list[types.CodeAction]:
    decode_code_actions_faithfully(client)
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=document),
            range=range_,
            context=types.CodeActionContext(
                diagnostics=[], trigger_kind=types.CodeActionTriggerKind.Automatic
            ),
        )
    )
    return [action for action in found or [] if isinstance(action, types.CodeAction)]


def run_arguments(action: types.CodeAction) -> dict[str, Any]:
    assert action.command is not None
    assert action.command.command == "llm-orc.runEnsemble"
    [argument] = action.command.arguments or []
    return dict(argument)


async def test_a_selection_in_code_offers_every_ensemble_code_review_first(
    client: RecordingClient, project: Path
) -> None:
    add_ensembles(project, "zeta", "alpha")
    document = open_document(client, project / "src" / "app.py", SOURCE, language="python")
    # The whole second line, its emoji included (two UTF-16 units).
    actions = await code_actions(client, document, span((1, 4), (1, 29)))

    assert [action.title for action in actions] == [
        f"Run ensemble {name} on selection"
        for name in ["code-review", "alpha", "explain-and-summarize", "ticket-triage", "zeta"]
    ]
    assert run_arguments(actions[0]) == {
        "ensemble": "code-review",
        "input": 'return "hi " + name  # 🎵',
        "uri": document,
    }
    assert [run_arguments(action)["ensemble"] for action in actions[1:]] == [
        "alpha",
        "explain-and-summarize",
        "ticket-triage",
        "zeta",
    ]


async def test_a_selection_in_prose_offers_the_ensembles_sorted(
    client: RecordingClient, project: Path
) -> None:
    add_ensembles(project, "alpha")
    document = open_document(client, project / "notes.md", "# Notes\nShip it.\n", "markdown")
    actions = await code_actions(client, document, span((1, 0), (1, 8)))
    assert [run_arguments(action)["ensemble"] for action in actions] == sorted(["alpha", *BUILT_IN])
    assert run_arguments(actions[0])["input"] == "Ship it."


async def test_an_ensemble_created_after_the_list_was_read_is_offered_once_opened(
    client: RecordingClient, project: Path
) -> None:
    document = open_document(client, project / "notes.md", "# Notes\nShip it.\n", "markdown")
    before = await code_actions(client, document, span((1, 0), (1, 8)))
    assert [run_arguments(action)["ensemble"] for action in before] == BUILT_IN
    add_ensembles(project, "fresh")  # written outside the editor; nobody says so
    fresh = project / ".llm-orc" / "ensembles" / "fresh.yaml"
    opened = open_document(client, fresh, fresh.read_text(encoding="utf-8"))
    await client.diagnostics_for(opened, version=1)
    after = await code_actions(client, document, span((1, 0), (1, 8)))
    assert [run_arguments(action)["ensemble"] for action in after] == sorted(["fresh", *BUILT_IN])


async def test_no_run_is_offered_without_a_selection(
    client: RecordingClient, project: Path
) -> None:
    document = open_document(client, project / "src" / "app.py", SOURCE, language="python")
    assert await code_actions(client, document, span((1, 4), (1, 4))) == []
    assert await code_actions(client, document, span((0, 16), (1, 4))) == []  # only whitespace


async def test_an_ensemble_file_has_a_run_this_ensemble_lens_and_action(
    client: RecordingClient, project: Path
) -> None:
    path = project / ".llm-orc" / "ensembles" / "greet.yaml"
    path.write_text(ENSEMBLE, encoding="utf-8")
    document = open_document(client, path, ENSEMBLE)

    [lens] = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=document))
    )
    assert lens.range == span((1, 0), (1, 4))  # the `name` line, below the comment
    assert lens.command is not None
    assert lens.command.title == "Run this ensemble"
    assert lens.command.command == "llm-orc.runEnsemble"
    assert [dict(argument) for argument in lens.command.arguments or []] == [
        {"ensemble": str(path), "uri": document}
    ]

    [action] = await code_actions(client, document, span((3, 4), (3, 4)))
    assert action.title == "Run this ensemble"
    assert run_arguments(action) == {"ensemble": str(path), "uri": document}

    # With a selection: this ensemble, then a run of each ensemble on the selected text.
    actions = await code_actions(client, document, span((1, 6), (1, 11)))
    assert actions[0].title == "Run this ensemble"
    assert [run_arguments(action)["ensemble"] for action in actions[1:]] == sorted(
        ["greet", *BUILT_IN]
    )
    assert {run_arguments(action)["input"] for action in actions[1:]} == {"greet"}


async def test_other_files_have_no_lens(client: RecordingClient, project: Path) -> None:
    document = open_document(client, project / "src" / "app.py", SOURCE, language="python")
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=document))
    )
    assert not lenses


async def test_requests_for_other_kinds_get_no_runs(client: RecordingClient, project: Path) -> None:
    document = open_document(client, project / "src" / "app.py", SOURCE, language="python")
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=document),
            range=span((1, 4), (1, 10)),
            context=types.CodeActionContext(
                diagnostics=[], only=[types.CodeActionKind.SourceOrganizeImports]
            ),
        )
    )
    assert not found


# -- the pieces --------------------------------------------------------------------------------


def test_code_is_recognised_by_language_id_then_extension() -> None:
    assert looks_like_code(PurePath("script"), "python")
    assert looks_like_code(PurePath("a/b.rs"), None)
    assert looks_like_code(PurePath("a/B.TS"), "plaintext")
    assert not looks_like_code(PurePath("README.md"), "markdown")
    assert not looks_like_code(PurePath("x.yaml"), "yaml")


def test_code_review_comes_first_only_for_code() -> None:
    names = ["b", "code-review", "a"]
    assert ensemble_order(names, code=True) == ["code-review", "a", "b"]
    assert ensemble_order(names, code=False) == ["a", "b", "code-review"]
    assert ensemble_order(["b", "a"], code=True) == ["a", "b"]


def test_the_name_line_is_the_top_level_name_key() -> None:
    assert name_line("# c\nagents:\n  - name: a\nname: x\n") == 3
    assert name_line("agents: []\n") == 0
