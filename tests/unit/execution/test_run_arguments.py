"""Values the library and the CLI cannot honour are refused up front, with one clear line."""

from __future__ import annotations

import math

import pytest

from llm_orc.cli.main import main
from llm_orc.execution.runner import run, stream
from llm_orc.execution.scheduler import RunOptions
from support.ensembles import agent, ensemble, scripted_profiles

POSITIVE_INT = "must be a positive integer or None"
SECONDS = "must be a positive number of seconds or None"


@pytest.mark.parametrize(
    ("key", "value", "error", "expected"),
    [
        ("max_concurrency", 0, ValueError, f"{POSITIVE_INT}, not 0"),
        ("max_concurrency", -1, ValueError, f"{POSITIVE_INT}, not -1"),
        ("max_concurrency", True, TypeError, f"{POSITIVE_INT}, not True"),
        ("max_concurrency", 2.0, TypeError, f"{POSITIVE_INT}, not 2.0"),
        ("timeout_seconds", -1, ValueError, f"{SECONDS}, not -1"),
        ("timeout_seconds", 0, ValueError, f"{SECONDS}, not 0"),
        ("timeout_seconds", math.nan, ValueError, f"{SECONDS}, not nan"),
        ("timeout_seconds", math.inf, ValueError, f"{SECONDS}, not inf"),
        ("timeout_seconds", "5", TypeError, f"{SECONDS}, not '5'"),
        ("run_id", "", ValueError, "must be a non-empty string, not ''"),
    ],
)
def test_run_options_refuse_what_cannot_be_honoured(
    key: str, value: object, error: type[Exception], expected: str
) -> None:
    with pytest.raises(error) as caught:
        RunOptions(**{key: value})  # type: ignore[arg-type]
    assert str(caught.value) == f"{key} {expected}"


def test_run_options_accept_what_they_can_honour() -> None:
    options = RunOptions(max_concurrency=1, timeout_seconds=0.5, run_id="r1")
    assert (options.max_concurrency, options.timeout_seconds) == (1, 0.5)
    assert RunOptions(timeout_seconds=3).timeout_seconds == 3


ENSEMBLE = "the ensemble must be an llm_orc.Ensemble (llm_orc.load_ensemble(NAME) loads one)"
TASK = "the task must be a string, or None for the ensemble's default_task"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("code-review",), {}, f"{ENSEMBLE}, not str"),
        ((ensemble(agent("a")), 42), {}, f"{TASK}, not int"),
        (
            (ensemble(agent("a")), "x"),
            {"options": {}},
            "options must be an llm_orc.RunOptions, not dict",
        ),
        (
            (ensemble(agent("a")), "x"),
            {"profiles": ["fake"]},
            "profiles must be a mapping of names to ModelProfile, not list",
        ),
        ((ensemble(agent("a")), "x"), {"on_event": "print"}, "on_event must be callable, not str"),
    ],
)
async def test_run_and_stream_refuse_arguments_of_the_wrong_kind(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    kwargs.setdefault("profiles", scripted_profiles())
    with pytest.raises(TypeError) as caught:
        await run(*args, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == message
    kwargs.pop("on_event", None)
    if "on_event" not in message:
        with pytest.raises(TypeError) as caught:
            async for _ in stream(*args, **kwargs):  # type: ignore[arg-type]
                pass
        assert str(caught.value) == message


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--timeout", "nan", "must be a positive number of seconds, not 'nan'"),
        ("--timeout", "inf", "must be a positive number of seconds, not 'inf'"),
        ("--timeout", "-1", "must be a positive number of seconds, not '-1'"),
        ("--timeout", "0", "must be a positive number of seconds, not '0'"),
        ("--timeout", "soon", "must be a positive number of seconds, not 'soon'"),
        ("--max-concurrency", "0", "must be a positive integer, not '0'"),
        ("--max-concurrency", "-1", "must be a positive integer, not '-1'"),
        ("--max-concurrency", "2.5", "must be a positive integer, not '2.5'"),
    ],
)
def test_the_cli_refuses_limits_it_cannot_honour(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["invoke", "pipeline", f"{option}={value}"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"llm-orc invoke: error: argument {option}: {message}"
