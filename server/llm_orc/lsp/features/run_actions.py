"""What the editor offers to start a run: code actions on a selection, and "Run this ensemble"
(a code lens on an ensemble file's `name` line, and the same as a code action).

Clients ask for code actions on every cursor move, so this only reads the cached ensemble list
and the document's text: nothing is validated, loaded or started here.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from llm_orc.lsp.documents import DocumentKind

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer

RUN_ENSEMBLE = "llm-orc.runEnsemble"
CODE_REVIEW = "code-review"
RUN_THIS = "Run this ensemble"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Language ids (VS Code's) and file extensions of source code: `code-review` is offered first.
_CODE_LANGUAGES = _words(
    "bat c clojure coffeescript cpp csharp cuda-cpp dart elixir erlang fsharp go groovy haskell "
    "java javascript javascriptreact julia kotlin lua makefile objective-c objective-cpp ocaml "
    "perl php powershell python r ruby rust scala shellscript sql svelte swift typescript "
    "typescriptreact vue zig"
)
_CODE_EXTENSIONS = _words(
    ".bash .c .cc .clj .cpp .cs .cxx .dart .ex .exs .erl .fs .go .groovy .h .hpp .hs .java .jl "
    ".js .jsx .kt .kts .lua .m .mjs .ml .php .pl .ps1 .py .pyi .r .rb .rs .scala .sh .sql .svelte "
    ".swift .ts .tsx .vue .zig .zsh"
)

_NAME_LINE = re.compile(r"^name\s*:")


def looks_like_code(path: PurePath, language_id: str | None) -> bool:
    """Whether a document is source code, judged by its language id, else its extension."""
    if language_id and language_id in _CODE_LANGUAGES:
        return True
    return path.suffix.lower() in _CODE_EXTENSIONS


def ensemble_order(names: list[str], code: bool) -> list[str]:
    """The ensembles in the order they are offered: sorted, `code-review` first for code."""
    ordered = sorted(names)
    if code and CODE_REVIEW in ordered:
        ordered.remove(CODE_REVIEW)
        ordered.insert(0, CODE_REVIEW)
    return ordered


def run_command(title: str, ensemble: str, uri: str, input_text: str | None) -> types.Command:
    arguments: dict[str, Any] = {"ensemble": ensemble, "uri": uri}
    if input_text is not None:
        arguments["input"] = input_text
    return types.Command(title=title, command=RUN_ENSEMBLE, arguments=[arguments])


def name_line(text: str) -> int:
    """The line of an ensemble's top-level `name:` key (0 when there is none)."""
    for number, line in enumerate(text.splitlines()):
        if _NAME_LINE.match(line):
            return number
    return 0


def run_actions(ls: LlmOrcLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Code actions: run an ensemble on the selection; in an ensemble file, run that ensemble."""
    only = params.context.only
    if only is not None and types.CodeActionKind.Empty not in only:
        return []  # a request for particular kinds (refactor, source, ...): runs are none of them
    uri = params.text_document.uri
    path = ls.path_of(uri)
    if path is None:
        return []
    actions: list[types.CodeAction] = []
    if ls.kind_of(uri) is DocumentKind.ENSEMBLE:
        command = run_command(RUN_THIS, str(path), uri, None)
        actions.append(types.CodeAction(title=RUN_THIS, command=command))
    selection = params.range
    if selection.start == selection.end:
        return actions
    document = ls.workspace.get_text_document(uri)
    selected = document.text_in_client_range(selection)
    if not selected.strip():
        return actions
    names = list(ls.workspaces.for_path(path).library.entries)
    code = looks_like_code(path, document.language_id)
    for name in ensemble_order(names, code):
        title = f"Run ensemble {name} on selection"
        command = run_command(title, name, uri, selected)
        actions.append(types.CodeAction(title=title, command=command))
    return actions


def run_lenses(ls: LlmOrcLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    """In an ensemble file: "Run this ensemble" on its `name` line."""
    uri = params.text_document.uri
    path = ls.path_of(uri)
    if path is None or ls.kind_of(uri) is not DocumentKind.ENSEMBLE:
        return []
    document = ls.workspace.get_text_document(uri)
    line = name_line(document.source)
    start = types.Position(line=line, character=0)
    return [
        types.CodeLens(
            range=types.Range(start=start, end=types.Position(line=line, character=len("name"))),
            command=run_command(RUN_THIS, str(path), uri, None),
        )
    ]
