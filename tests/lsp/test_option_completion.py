"""Provider options in the editor, end to end: the real server over stdio, a pytest-lsp client.
Option keys, values and hover come from the provider's options schema, in an ensemble agent's
`options` and in a profiles file's; a provider without a schema or unknown offers nothing."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from support.lsp import RecordingClient, as_tuple, complete, ident, open_document, position_of

CONFIG = """\
model_profiles:
  claude:
    provider: anthropic
    model: claude-x
  meter:
    provider: metered
    model: m
  fake:
    provider: scripted
    model: fake-model
  ghost:
    provider: nowhere
    model: m
"""

ENSEMBLE = """\
name: team
agents:
  - name: a
    model_profile: claude
    options:
      top_k: 3
      ~
  - name: b
    model_profile: meter
    options: {reply: hi, }
  - name: c
    model_profile: fake
    options:
      ~
  - name: d
    model_profile: ghost
    options:
      ~
""".replace("~", "")  # ~ marks where the cursor goes on an indented empty line


async def hover(
    client: RecordingClient, document: str, position: types.Position
) -> tuple[tuple[int, int, int, int], str] | None:
    found = await client.text_document_hover_async(
        types.HoverParams(text_document=ident(document), position=position)
    )
    if found is None:
        return None
    assert found.range is not None and isinstance(found.contents, types.MarkupContent)
    return as_tuple(found.range), found.contents.value


def with_config(project: Path) -> Path:
    config = project / ".llm-orc" / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


async def test_an_agents_options_are_completed_and_described_by_its_providers_schema(
    client: RecordingClient, project: Path
) -> None:
    with_config(project)
    path = project / ".llm-orc" / "ensembles" / "team.yaml"
    document = open_document(client, path, ENSEMBLE)

    keys = await complete(client, document, types.Position(6, 6))
    assert [item.label for item in keys] == [
        "top_p",
        "stop_sequences",
        "structured_output",
        "prompt_caching",
    ]  # top_k is already there
    caching = keys[3]
    assert isinstance(caching.text_edit, types.TextEdit)
    assert (as_tuple(caching.text_edit.range), caching.text_edit.new_text) == (
        (6, 6, 6, 6),
        "prompt_caching: ",
    )
    assert caching.detail == "boolean (anthropic)"

    plugin = await complete(client, document, types.Position(9, 25))  # the third-party plugin's
    assert "reply" not in [item.label for item in plugin]
    assert [item.label for item in plugin][:2] == ["input_tokens", "output_tokens"]

    assert await complete(client, document, types.Position(13, 6)) == []  # no schema
    assert await complete(client, document, types.Position(17, 6)) == []  # unknown provider

    found = await hover(client, document, position_of(ENSEMBLE, "top_k", offset=2))
    assert found is not None
    assert found[0] == (5, 6, 5, 11)
    assert found[1] == (
        "**top_k** (option of provider `anthropic`)\n\n"
        "Sample only from the K most likely tokens.\n\n- type: integer, at least 1"
    )


async def test_a_boolean_options_values_are_offered(client: RecordingClient, project: Path) -> None:
    with_config(project)
    text = ENSEMBLE.replace("      top_k: 3\n", "      top_k: 3\n      prompt_caching: \n", 1)
    document = open_document(client, project / ".llm-orc" / "ensembles" / "v.yaml", text)
    values = await complete(client, document, types.Position(6, 22))
    assert [(item.label, item.kind) for item in values] == [
        ("true", types.CompletionItemKind.EnumMember),
        ("false", types.CompletionItemKind.EnumMember),
    ]


PROFILES_TEXT = """\
model_profiles:
  claude:
    provider: anthropic
    model: claude-x
    options:
      prompt_caching: true
      ~
  small:
    provider: local
    model: smollm2-135m-instruct
    options: {seed: 1}
""".replace("~", "")


async def test_a_profiles_files_options_are_completed_and_described_by_the_profiles_provider(
    client: RecordingClient, project: Path
) -> None:
    config = with_config(project)
    document = open_document(client, config, PROFILES_TEXT)
    keys = await complete(client, document, types.Position(6, 6))
    assert [item.label for item in keys] == [
        "top_p",
        "top_k",
        "stop_sequences",
        "structured_output",
    ]
    assert await complete(client, document, types.Position(3, 4)) == []  # not inside options

    seed = await hover(client, document, position_of(PROFILES_TEXT, "seed", offset=1))
    assert seed is not None
    assert seed[0] == (10, 14, 10, 18)
    assert seed[1].startswith("**seed** (option of provider `local`)\n\nSeed for reproducible")
    assert await hover(client, document, position_of(PROFILES_TEXT, "provider")) is None
