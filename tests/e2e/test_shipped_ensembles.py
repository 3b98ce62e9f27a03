"""The shipped ensembles and the README's library example, on the real embedded model."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

from llm_orc.schemas import load_schema
from support.local_model import requires_local_model

pytestmark = requires_local_model

ROOT = Path(__file__).resolve().parents[2]


def _command() -> list[str]:
    script = Path(sys.executable).parent / "llm-orc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_orc.cli.main"]


def invoke(cwd: Path, *args: str, stdin: str = "") -> dict[str, object]:
    done = subprocess.run(
        [*_command(), "invoke", *args, "-o", "json"],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    document: dict[str, object] = json.loads(done.stdout)
    jsonschema.Draft202012Validator(load_schema("result")).validate(document)
    return document


def test_code_review_reviews_the_example_file(tmp_path: Path) -> None:
    code = (ROOT / "examples" / "buggy.py").read_text(encoding="utf-8")
    document = invoke(tmp_path, "code-review", stdin=code)
    assert document["status"] == "succeeded"
    agents = {agent["name"]: agent for agent in document["agents"]}  # type: ignore[attr-defined]
    assert set(agents) == {"bugs", "security", "readability", "summary"}
    for agent in agents.values():
        assert agent["provider"] == "local"
        assert agent["output"].strip()
        assert agent["usage"]["input_tokens"] > 0 and agent["usage"]["output_tokens"] > 0
        assert agent["usage"]["cost_usd"] == 0
    # The synthesizer started only once all three reviewers had finished.
    reviewers_done = max(agents[n]["finished_at"] for n in ("bugs", "security", "readability"))
    assert agents["summary"]["started_at"] >= reviewers_done
    assert document["execution_order"][-1] == "summary"
    assert document["final_answer"]["agent"] == "summary"  # type: ignore[index]


def test_ticket_triage_returns_json_that_matches_its_schema(tmp_path: Path) -> None:
    document = invoke(tmp_path, "ticket-triage")
    triage = document["agents"][2]  # type: ignore[index]
    assert triage["status"] == "succeeded", triage["error"]
    assert set(triage["parsed"]) == {"summary", "priority", "team"}
    assert triage["parsed"]["priority"] in {"low", "medium", "high"}


def test_explain_and_summarize_runs_as_a_chain(tmp_path: Path) -> None:
    document = invoke(tmp_path, "explain-and-summarize", "Explain what a linked list is.")
    assert document["status"] == "succeeded"
    assert document["execution_order"] == ["explainer", "simplifier", "tagline"]
    assert document["final_answer"]["output"].strip()  # type: ignore[index]


def test_the_readme_library_example_runs_as_written(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## As a Python library") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    script = tmp_path / "example.py"
    script.write_text(code.group(1), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    assert "[idea done:" in done.stdout and "[verdict done:" in done.stdout
    assert re.search(r"^(succeeded|partial) ", done.stdout, re.MULTILINE)
