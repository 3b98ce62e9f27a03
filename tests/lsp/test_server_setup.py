"""What the language server sets up for itself in process."""

from __future__ import annotations

import os

import pytest

from llm_orc.lsp.server import create_server
from llm_orc.providers import registry
from llm_orc.providers.local import LocalProvider


def test_the_embedded_model_leaves_a_core_for_the_editor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", {})
    monkeypatch.setattr(registry, "_instances", {})
    create_server()
    provider = registry.get_provider("local")
    assert isinstance(provider, LocalProvider)
    assert provider.threads == max(1, (os.cpu_count() or 1) - 1)
    assert LocalProvider().threads == (os.cpu_count() or 1)  # the CLI uses every core
