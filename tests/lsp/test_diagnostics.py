"""Diagnostics while editing, end to end: the real server, a pytest-lsp client as the editor."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from support.lsp import RecordingClient, as_tuple, change_document, open_document, uri

BROKEN = """\
name: broken
description: "Größe 🎵 of the ensemble"
agents:
  - name: first
    model_profile: fake
    depends_on: [second]
  - name: second
    model_profile: fake
    system_prompt: "🎵🎵"
    temprature: 0.3
    depends_on: [first, ghost]
  - name: third
    model_profile: fasst
"""


def by_code(items: list[types.Diagnostic]) -> dict[str, list[types.Diagnostic]]:
    grouped: dict[str, list[types.Diagnostic]] = {}
    for item in items:
        grouped.setdefault(str(item.code), []).append(item)
    return grouped


async def test_a_broken_ensemble_gets_every_diagnostic_on_its_exact_range(
    client: RecordingClient, project: Path
) -> None:
    path = project / ".llm-orc" / "ensembles" / "broken.yaml"
    document = open_document(client, path, BROKEN)
    items = by_code(await client.diagnostics_for(document, version=1))

    expected = {"unknown-key", "dependency-cycle", "missing-dependency", "unknown-profile"}
    assert set(items) == expected
    [unknown_key] = items["unknown-key"]
    assert as_tuple(unknown_key.range) == (9, 4, 9, 14)
    assert "did you mean 'temperature'?" in unknown_key.message
    assert unknown_key.source == "llm-orc"
    assert unknown_key.severity == types.DiagnosticSeverity.Error

    [missing] = items["missing-dependency"]
    assert as_tuple(missing.range) == (10, 24, 10, 29)  # 'ghost' inside the flow list

    cycle = sorted(items["dependency-cycle"], key=lambda d: d.range.start.line)
    assert [as_tuple(d.range) for d in cycle] == [(5, 17, 5, 23), (10, 17, 10, 22)]
    assert all("first -> second -> first" in d.message for d in cycle)
    related = cycle[0].related_information
    assert related is not None and related[0].location.uri == document

    [profile] = items["unknown-profile"]
    assert as_tuple(profile.range) == (12, 19, 12, 24)
    assert profile.message == "unknown model profile 'fasst' (known: default, echo, fake, local)"


async def test_positions_are_in_utf16_code_units(client: RecordingClient, project: Path) -> None:
    # '🎵' is one code point but two UTF-16 units: the bad value after it moves by two each.
    text = 'name: x\nagents:\n  - {name: "🎵🎵", model_profile: fake, temperature: hot}\n'
    document = open_document(client, project / ".llm-orc" / "ensembles" / "u.yaml", text)
    [diagnostic] = await client.diagnostics_for(document, version=1)
    assert diagnostic.code == "invalid-type"
    start = text.splitlines()[2].index("hot")  # in code points
    assert as_tuple(diagnostic.range) == (2, start + 2, 2, start + 5)


async def test_edits_revalidate_and_only_the_newest_version_is_published(
    client: RecordingClient, project: Path
) -> None:
    path = project / ".llm-orc" / "ensembles" / "typing.yaml"
    start = "name: t\nagents:\n  - name: a\n    model_profile: fake\n"
    document = open_document(client, path, start)
    assert await client.diagnostics_for(document, version=1) == []
    text = "name: t\nagents:\n  - name: a\n    model_profile: fake\n    depends_on: [b]\n"
    for version in range(2, 12):  # a burst of keystrokes
        change_document(client, document, version, text[: len(text) - 12 + version])
    final = await client.diagnostics_for(document, version=11)
    assert [d.code for d in final] == ["missing-dependency"]
    versions = [p.version for p in client.published if p.uri == document]
    assert versions == sorted(versions)  # never an older version after a newer one


async def test_edits_inside_one_agent_keep_every_range_exact(
    client: RecordingClient, project: Path
) -> None:
    """Edits the server splices into its last parse (a new line in the first agent, then a
    typo fixed in the second): the ranges after them are the full validator's."""
    path = project / ".llm-orc" / "ensembles" / "spliced.yaml"
    document = open_document(client, path, BROKEN)
    await client.diagnostics_for(document, version=1)
    entered = BROKEN.replace("    depends_on: [second]\n", "    depends_on:\n      - second\n")
    change_document(client, document, 2, entered)
    items = by_code(await client.diagnostics_for(document, version=2))
    [missing] = items["missing-dependency"]
    assert as_tuple(missing.range) == (11, 24, 11, 29)  # a line further down
    [profile] = items["unknown-profile"]
    assert as_tuple(profile.range) == (13, 19, 13, 24)
    fixed = entered.replace("temprature", "temperature")
    change_document(client, document, 3, fixed)
    items = by_code(await client.diagnostics_for(document, version=3))
    assert set(items) == {"dependency-cycle", "missing-dependency", "unknown-profile"}
    cycle = sorted(items["dependency-cycle"], key=lambda d: d.range.start.line)
    assert [as_tuple(d.range) for d in cycle] == [(6, 8, 6, 14), (11, 17, 11, 22)]


async def test_closing_clears_the_documents_diagnostics(
    client: RecordingClient, project: Path
) -> None:
    document = open_document(client, project / "x.ensemble.yaml", "name: x\nagents: []\n")
    assert [d.code for d in await client.diagnostics_for(document, version=1)] == ["invalid-value"]
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=document))
    )
    assert await client.until(lambda: client.diagnostics.get(document) in ([], ()))


async def test_only_llm_orc_documents_are_checked(client: RecordingClient, project: Path) -> None:
    other = open_document(client, project / "docker-compose.yaml", "services: [\n")
    ensemble = open_document(client, project / "ok.ensemble.yaml", "name: ok\nagents: [\n")
    assert await client.diagnostics_for(ensemble, version=1)
    assert other not in client.diagnostics


async def test_saving_the_config_revalidates_open_ensembles(
    client: RecordingClient, project: Path
) -> None:
    text = "name: p\nagents:\n  - name: a\n    model_profile: careful\n"
    document = open_document(client, project / ".llm-orc" / "ensembles" / "p.yaml", text)
    [before] = await client.diagnostics_for(document, version=1)
    assert before.code == "unknown-profile"
    config = project / ".llm-orc" / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "  careful:\n    provider: scripted\n    model: m\n",
        encoding="utf-8",
    )
    published = len(client.published)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(config)))
    )
    await client.until(lambda: any(p.uri == document for p in client.published[published:]))
    assert list(client.diagnostics[document]) == []


async def test_profiles_files_are_checked_too(client: RecordingClient, project: Path) -> None:
    path = project / ".llm-orc" / "profiles" / "team.yaml"
    line = "  x: {model: m, provider: local, temprature: 1}"
    document = open_document(client, path, f"model_profiles:\n{line}\n")
    [diagnostic] = await client.diagnostics_for(document, version=1)
    assert diagnostic.code == "unknown-key"
    start = line.index("temprature")
    assert as_tuple(diagnostic.range) == (1, start, 1, start + len("temprature"))


async def test_pull_diagnostics_answer_requests_and_push_nothing(
    pull_client: RecordingClient, project: Path
) -> None:
    path = project / ".llm-orc" / "ensembles" / "pulled.yaml"
    text = "name: p\nagents:\n  - name: a\n    depends_on: [a]\n"
    document = open_document(pull_client, path, text)
    report = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=document))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert [d.code for d in report.items] == ["dependency-cycle"]
    assert "a -> a" in report.items[0].message
    assert pull_client.published == []
