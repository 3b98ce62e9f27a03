"""Hostile files through the `llm-orc` command, where the bugs were seen: every one gets a
located line and exit 1, never a traceback; one bad file never stops the others."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """\
model_profiles:
  fake:
    provider: scripted
    model: fake-model
    options:
      reply: "{agent} read: {input}"
"""
GOOD = """\
name: good
description: fine
agents:
  - name: a
    model_profile: fake
"""
_MEMORY_LIMIT = 2 * 1024**3
"""Address space for one command: an alias bomb needed more than 4 GB before the fix."""
_LOCATION = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (error|warning)\[", re.M)


def _command() -> list[str]:
    script = Path(sys.executable).parent / "llm-orc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_orc.cli.main"]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, _MEMORY_LIMIT))


def llm_orc(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*_command(), *args],
        cwd=project,
        input="",
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=60,
        preexec_fn=_limit_memory,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def project(tmp_path: Path, isolated_config: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".llm-orc" / "ensembles").mkdir(parents=True)
    (root / ".llm-orc" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (root / ".llm-orc" / "ensembles" / "good.yaml").write_text(GOOD, encoding="utf-8")
    return root


def test_a_poisoned_sibling_ensemble_does_not_stop_list_validate_or_invoke(project: Path) -> None:
    poison = project / ".llm-orc" / "ensembles" / "poison.yaml"
    poison.write_text("name: poison\nx: !!int 12345abc\n", encoding="utf-8")

    listed = llm_orc(project, "list-ensembles")
    assert listed.returncode == 0, listed.stderr
    assert re.search(
        r"^good\s+project\s+fine  \(\.llm-orc/ensembles/good\.yaml\)$", listed.stdout, re.M
    )
    assert re.search(r"^poison\s+project", listed.stdout, re.M)

    everything = llm_orc(project, "validate")
    assert everything.returncode == 1
    assert (
        ".llm-orc/ensembles/poison.yaml:2:4: error[yaml-value]: '12345abc' is not an integer"
        in (everything.stdout)
    )
    assert "good.yaml" not in everything.stdout

    one = llm_orc(project, "validate", "good")
    assert one.returncode == 0, one.stdout + one.stderr

    ran = llm_orc(project, "invoke", "good", "hello", "-o", "text")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "a read: hello\n"


def test_an_unreadable_value_in_config_yaml_disables_only_that_file(project: Path) -> None:
    config = project / ".llm-orc" / "config.yaml"
    line = "  slow: {model: m, provider: scripted, timeout_seconds: !!bool maybe}"
    config.write_text(f"model_profiles:\n{line}\n", encoding="utf-8")
    where = f"config.yaml:2:{line.index('!!bool') + 1}"
    profiles = project / ".llm-orc" / "profiles"
    profiles.mkdir()
    (profiles / "fake.yaml").write_text(CONFIG, encoding="utf-8")

    listed = llm_orc(project, "list-ensembles")
    assert listed.returncode == 0
    assert "good" in listed.stdout

    checked = llm_orc(project, "validate", "good")
    assert checked.returncode == 1  # the config error is reported, on its file
    assert f".llm-orc/{where}: error[yaml-value]: 'maybe' is not true or false" in checked.stdout

    ran = llm_orc(project, "invoke", "good", "hi", "-o", "text")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "a read: hi\n"
    assert f"{where}: error[yaml-value]" in ran.stderr


def _bomb(use: str) -> str:
    anchors = ["x-anchors:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        anchors.append(f"  a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(anchors) + "\nname: bomb\n" + use


HOSTILE = {
    "bool-tag": ("name: !!bool name\nagents: []\n", "yaml-value"),
    "bool-key": ("!!bool x: 1\n", "yaml-value"),
    "int-tag": ("name: !!int abc\n", "yaml-value"),
    "timestamp-tag": ("name: !!timestamp abc\n", "yaml-value"),
    "float-tag": ("x: !!float zz\n", "yaml-value"),
    "unknown-tag": ("name: !python/object x\n", "yaml-tag"),
    "huge-integer": ("name: x\nmax_concurrency: " + "7" * 5000 + "\nagents: []\n", "yaml-value"),
    "bad-date": ("name: x\ndescription: 2024-13-45\nagents: []\n", "yaml-value"),
    "non-text-key": ("name: x\nagents:\n  - name: a\n    options: {1: x}\n", "invalid-key"),
    "unfinished-key": ("name: x\nagents: []\nb", "yaml-syntax"),
    "bomb-agents": (_bomb("agents: *a9\n"), "yaml-alias-limit"),
    "bomb-depends": (_bomb("agents:\n  - name: a\n    depends_on: *a9\n"), "yaml-alias-limit"),
    "bomb-template": (
        _bomb("agents:\n  - name: a\n    prompt_template: *a9\n"),
        "yaml-alias-limit",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_validate_reports_each_hostile_file_on_a_line_inside_it(project: Path, case: str) -> None:
    text, code = HOSTILE[case]
    path = project / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    done = llm_orc(project, "validate", path.name)
    assert done.returncode == 1
    assert f"error[{code}]" in done.stdout, done.stdout
    lines = text.split("\n")
    for found in _LOCATION.finditer(done.stdout):
        line, column = int(found["line"]), int(found["col"])
        assert 1 <= line <= len(lines), found.group(0)
        assert 1 <= column <= len(lines[line - 1]) + 1, found.group(0)
    ran = llm_orc(project, "invoke", path.name, "x", "-o", "text")
    assert ran.returncode == 1
    assert f"error[{code}]" in ran.stderr


def test_an_ensemble_with_a_projects_own_metadata_keys_validates_with_warnings_and_runs(
    project: Path,
) -> None:
    text = (
        "name: skill\n"
        "topaz_skill: review\n"
        "serves: [editors]\n"
        "seat_contract: {inputs: code}\n"
        "output_substrate: markdown\n"
        "output_schema: {type: object}\n"
        "agents:\n"
        "  - name: a\n"
        "    role: reviewer\n"
        "    model_profile: fake\n"
    )
    (project / ".llm-orc" / "ensembles" / "skill.yaml").write_text(text, encoding="utf-8")
    checked = llm_orc(project, "validate", "skill")
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.count("warning[ignored-key]") == 6
    assert ".llm-orc/ensembles/skill.yaml:2:1: warning[ignored-key]: unknown key 'topaz_skill'" in (
        checked.stdout
    )
    ran = llm_orc(project, "invoke", "skill", "hi", "-o", "text")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "a read: hi\n"

    typo = project / "typo.yaml"
    typo.write_text("name: typo\nagents:\n  - name: a\n    temprature: 1\n", encoding="utf-8")
    refused = llm_orc(project, "validate", "typo.yaml")
    assert refused.returncode == 1
    assert "typo.yaml:4:5: error[unknown-key]: unknown key 'temprature' in agent 'a'; did you " in (
        refused.stdout
    )
