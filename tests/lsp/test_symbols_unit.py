"""Document symbols: the ensemble and its agents, hierarchical or flat."""

from __future__ import annotations

from lsprotocol import types

from llm_orc.lsp.features.symbols import document_symbols, flat_symbols
from support.lsp import as_tuple, text_document

TEXT = """\
name: 🎵 team
agents:
  - name: reader
    system_prompt: |
      Read.
  - {name: critic, depends_on: [reader]}
  - name: writer
    depends_on:
      - reader
      - critic
"""


def test_the_ensemble_holds_its_agents_with_their_dependencies_as_detail() -> None:
    [ensemble] = document_symbols(text_document(TEXT))
    assert (ensemble.name, ensemble.kind) == ("🎵 team", types.SymbolKind.Module)
    assert as_tuple(ensemble.range) == (0, 0, 10, 0)
    assert as_tuple(ensemble.selection_range) == (0, 6, 0, 13)  # '🎵' is two UTF-16 units
    children = ensemble.children or []
    assert [(c.name, c.kind, c.detail) for c in children] == [
        ("reader", types.SymbolKind.Function, None),
        ("critic", types.SymbolKind.Function, "depends on: reader"),
        ("writer", types.SymbolKind.Function, "depends on: reader, critic"),
    ]
    assert [as_tuple(c.range) for c in children] == [
        (2, 4, 4, 11),
        (5, 4, 5, 40),
        (6, 4, 9, 14),
    ]
    assert [as_tuple(c.selection_range) for c in children] == [
        (2, 10, 2, 16),
        (5, 11, 5, 17),
        (6, 10, 6, 16),
    ]


def test_flat_symbols_name_their_container() -> None:
    symbols = flat_symbols(text_document(TEXT))
    assert [(s.name, s.container_name) for s in symbols] == [
        ("🎵 team", None),
        ("reader", "🎵 team"),
        ("critic", "🎵 team"),
        ("writer", "🎵 team"),
    ]
    assert as_tuple(symbols[3].location.range) == (6, 4, 9, 14)


def test_symbols_survive_text_that_does_not_parse() -> None:
    broken = TEXT + "  - name: late\n    depends_on: [reader, \n"
    [ensemble] = document_symbols(text_document(broken))
    children = ensemble.children or []
    assert [c.name for c in children] == ["reader", "critic", "writer", "late"]
    assert children[3].detail == "depends on: reader"
    assert as_tuple(children[3].selection_range) == (10, 10, 10, 14)


def test_an_empty_document_has_no_symbols() -> None:
    assert document_symbols(text_document("")) == []
