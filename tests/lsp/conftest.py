"""Language server tests: the real server over stdio, driven by a pytest-lsp client."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from support.lsp import SERVER_COMMAND, RecordingClient, make_client, uri

# The server process gets its own empty global configuration (server_env replaces the whole
# environment, and it is fixed when this module loads).
GLOBAL_CONFIG_HOME = Path(tempfile.mkdtemp(prefix="llm-orc-lsp-xdg-"))
SERVER_ENV = {**os.environ, "XDG_CONFIG_HOME": str(GLOBAL_CONFIG_HOME)}

PROFILES = """\
model_profiles:
  fake:
    provider: scripted
    model: fake-model
    options: {reply: "{agent} says hi"}
  echo:
    provider: scripted
    model: fake-model
    options: {echo_prompt: true}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with `.llm-orc/config.yaml` (scripted profiles) and an ensembles folder."""
    root = tmp_path / "project"
    (root / ".llm-orc" / "ensembles").mkdir(parents=True)
    (root / ".llm-orc" / "config.yaml").write_text(PROFILES, encoding="utf-8")
    return root


def _capabilities(pull: bool, refresh: bool) -> types.ClientCapabilities:
    capabilities = client_capabilities("visual-studio-code")
    if pull:
        assert capabilities.text_document is not None
        capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
            dynamic_registration=False, related_document_support=True
        )
    if refresh:
        assert capabilities.workspace is not None
        capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
            refresh_support=True
        )
    return capabilities


async def _start(client: RecordingClient, root: Path, pull: bool, refresh: bool = False) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=_capabilities(pull, refresh),
            root_uri=uri(root),
            workspace_folders=[types.WorkspaceFolder(uri=uri(root), name="project")],
        )
    )


SERVER = ClientServerConfig(
    server_command=SERVER_COMMAND, client_factory=make_client, server_env=SERVER_ENV
)


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: RecordingClient, project: Path) -> AsyncIterator[None]:
    """An editor with push diagnostics (VS Code's capabilities) on PROJECT."""
    await _start(lsp_client, project, pull=False)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def pull_client(lsp_client: RecordingClient, project: Path) -> AsyncIterator[None]:
    """An editor that declares pull diagnostics."""
    await _start(lsp_client, project, pull=True)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def refreshing_client(lsp_client: RecordingClient, project: Path) -> AsyncIterator[None]:
    """An editor that pulls diagnostics and can be asked to pull again (diagnostic refresh)."""
    await _start(lsp_client, project, pull=True, refresh=True)
    yield
    await lsp_client.shutdown_session()
