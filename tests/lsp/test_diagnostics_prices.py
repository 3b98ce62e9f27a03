"""The price table is loaded off the event loop: a budget check that needs it is published once
the table is there, in a second publish (or refresh) for the same version, never left out."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from support.lsp import RecordingClient, open_document

MYSTERY = """\
  mystery:
    provider: metered
    model: a-model-no-table-knows
"""

BUDGETED = """\
name: budgeted
max_cost: 1
agents:
  - name: known
    model_profile: fake
  - name: odd
    model_profile: mystery
"""


def _with_mystery(project: Path) -> None:
    config = project / ".llm-orc" / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + MYSTERY, encoding="utf-8")


def _codes(params: types.PublishDiagnosticsParams) -> list[str]:
    return [str(item.code) for item in params.diagnostics]


async def test_the_unknown_cost_warning_is_published_once_the_price_table_is_loaded(
    client: RecordingClient, project: Path
) -> None:
    _with_mystery(project)
    path = project / ".llm-orc" / "ensembles" / "budgeted.yaml"
    document = open_document(client, path, BUDGETED)

    def published() -> list[types.PublishDiagnosticsParams]:
        return [p for p in client.published if p.uri == document and p.version == 1]

    # The first check does not wait for the table: it publishes without the budget check.
    first, *_ = await client.until(published)
    assert "unknown-cost" not in _codes(first)
    # Once the table is loaded (in a thread), the same version is published again, with it.
    later = await client.until(lambda: [p for p in published() if "unknown-cost" in _codes(p)])
    [warning] = [item for item in later[0].diagnostics if item.code == "unknown-cost"]
    assert warning.severity == types.DiagnosticSeverity.Warning
    assert warning.message.startswith("agent 'odd': its cost is unknown (")
    assert warning.range.start.line == 6
    # Edits from then on have it at once.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=document, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=BUDGETED + "\n")],
        )
    )
    assert "unknown-cost" in [str(d.code) for d in await client.diagnostics_for(document, 2)]


async def _pulled(client: RecordingClient, document: str) -> list[str]:
    identifier = types.TextDocumentIdentifier(uri=document)
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=identifier)
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    return [str(item.code) for item in report.items]


async def test_a_pulling_client_that_cannot_be_refreshed_gets_the_warning_in_its_first_pull(
    pull_client: RecordingClient, project: Path
) -> None:
    _with_mystery(project)
    path = project / ".llm-orc" / "ensembles" / "budgeted.yaml"
    document = open_document(pull_client, path, BUDGETED)
    assert "unknown-cost" in await _pulled(pull_client, document)


async def test_a_pulling_client_is_asked_to_pull_again_once_the_price_table_is_loaded(
    refreshing_client: RecordingClient, project: Path
) -> None:
    client = refreshing_client
    _with_mystery(project)
    path = project / ".llm-orc" / "ensembles" / "budgeted.yaml"
    document = open_document(client, path, BUDGETED)
    assert "unknown-cost" not in await _pulled(client, document)
    await client.until(lambda: client.diagnostic_refresh_count)
    assert "unknown-cost" in await _pulled(client, document)
