"""The `llm-orc` command end to end, as a user runs it, on the deterministic provider."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import jsonschema
import pytest

from llm_orc.schemas import load_schema, schema_validator
from support.plugins import without_test_plugins

CONFIG = """\
model_profiles:
  fake:
    provider: scripted
    model: fake-model
    options:
      reply: "{agent} read: {input}"
  echo:
    provider: scripted
    model: fake-model
    options: {echo_prompt: true}
  stuck:
    provider: scripted
    model: fake-model
    options: {hang: true}
"""

PIPELINE = """\
name: pipeline
description: two readers and a writer
default_task: the default task
agents:
  - name: reader
    model_profile: fake
  - name: other
    model_profile: fake
  - name: writer
    model_profile: echo
    depends_on: [reader, other]
"""

BROKEN = """\
name: broken
description: "Größe 🎵"
agents:
  - name: a
    model_profile: fake
    depends_on: [b]
  - name: b
    model_profile: fake
    temprature: 0.3
    depends_on: [a]
"""


def _command() -> list[str]:
    script = Path(sys.executable).parent / "llm-orc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_orc.cli.main"]


@pytest.fixture
def project(tmp_path: Path, isolated_config: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".llm-orc" / "ensembles").mkdir(parents=True)
    (root / ".llm-orc" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (root / ".llm-orc" / "ensembles" / "pipeline.yaml").write_text(PIPELINE, encoding="utf-8")
    (root / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    return root


def llm_orc(
    project: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [*_command(), *args],
        cwd=project,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_help_lists_every_command(project: Path) -> None:
    done = llm_orc(project, "--help")
    assert done.returncode == 0
    for command in ("invoke", "validate", "plan", "list-ensembles", "list-profiles", "init"):
        assert command in done.stdout


def test_invoke_text_prints_only_the_final_answer(project: Path) -> None:
    done = llm_orc(project, "invoke", "pipeline", "hello", "-o", "text")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "hello\n\nResults from other agents:\n\n"
        "## reader\nreader read: hello\n\n## other\nother read: hello\n"
    )


def test_invoke_reads_piped_stdin_and_joins_instruction_and_material(project: Path) -> None:
    piped = llm_orc(project, "invoke", "pipeline", "-o", "text", stdin="code here\n")
    assert piped.stdout.startswith("code here\n\nResults from other agents:")
    both = llm_orc(project, "invoke", "pipeline", "Check this", "-o", "text", stdin="code here")
    assert both.stdout.startswith("Check this\n\ncode here\n\nResults")


def test_invoke_reads_a_file_and_falls_back_to_default_task(project: Path) -> None:
    (project / "input.txt").write_text("from a file", encoding="utf-8")
    from_file = llm_orc(project, "invoke", "pipeline", "-f", "input.txt", "-o", "text")
    assert from_file.stdout.startswith("from a file\n\n")
    default = llm_orc(project, "invoke", "pipeline", "-o", "text")
    assert default.stdout.startswith("the default task\n\n")


def test_invoke_json_is_the_result_document(project: Path) -> None:
    done = llm_orc(project, "invoke", "pipeline", "--input", "x", "-o", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    jsonschema.Draft202012Validator(load_schema("result")).validate(document)
    assert document["status"] == "succeeded"
    assert document["final_answer"]["agent"] == "writer"
    assert [a["name"] for a in document["agents"]] == ["reader", "other", "writer"]
    assert document["agents"][0]["output"] == "reader read: x"
    assert document["source"].endswith("pipeline.yaml")


def test_invoke_rich_shows_the_final_answer(project: Path) -> None:
    done = llm_orc(project, "invoke", "pipeline", "hello", "-o", "rich")
    assert done.returncode == 0, done.stderr
    assert "final answer" in done.stdout
    assert "reader read: hello" in done.stdout
    assert "succeeded" in done.stdout


def test_invoke_timeout_exits_124_and_keeps_finished_agents(project: Path) -> None:
    ensemble = project / "slow.yaml"
    ensemble.write_text(
        "name: slow\nagents:\n  - name: quick\n    model_profile: fake\n"
        "  - name: stuck\n    model_profile: stuck\n",
        encoding="utf-8",
    )
    done = llm_orc(project, "invoke", str(ensemble), "go", "--timeout", "0.2", "-o", "json")
    assert done.returncode == 124
    document = json.loads(done.stdout)
    assert document["status"] == "timed_out"
    assert document["agents"][0]["output"] == "quick read: go"
    assert document["agents"][1]["status"] == "cancelled"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("invoke", "nope", "x"), "llm-orc: error: no ensemble named 'nope'; available:"),
        (("invoke", "missing.yaml", "x"), "llm-orc: error: missing.yaml: no such file"),
        (("invoke", "pipeline", "a", "--input", "b"), "either as INPUT or as --input"),
        (("invoke", "pipeline", "-f", "absent.txt"), "absent.txt: cannot read input file"),
        (("invoke", "pipeline", "x", "-o", "template"), "'template' needs --template FILE"),
        (
            ("invoke", "pipeline", "x", "-o", "json", "--template", "t.j2"),
            "--template is used by output format 'template', not 'json'",
        ),
        (("invoke", "pipeline", "x", "--template", "no.j2"), "no.j2: no such template file"),
    ],
)
def test_bad_invocations_fail_with_one_clear_line(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    done = llm_orc(project, *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_missing_input_without_default_task_is_an_error(project: Path) -> None:
    (project / "bare.yaml").write_text(
        "name: bare\nagents:\n  - name: a\n    model_profile: fake\n", encoding="utf-8"
    )
    done = llm_orc(project, "invoke", "bare.yaml")
    assert done.returncode == 1
    assert "needs an input" in done.stderr


def test_invoking_an_invalid_file_reports_located_errors_and_runs_nothing(project: Path) -> None:
    done = llm_orc(project, "invoke", "broken.yaml", "x", "-o", "json")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "broken.yaml:9:5: error[unknown-key]: unknown key 'temprature'" in done.stderr
    assert "error[dependency-cycle]" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_prints_compiler_style_lines_and_exits_1(project: Path) -> None:
    done = llm_orc(project, "validate", "broken.yaml")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert (
        "broken.yaml:9:5: error[unknown-key]: unknown key 'temprature' in agent 'b'; "
        "did you mean 'temperature'?"
    ) in lines
    cycle = [line for line in lines if "dependency-cycle" in line]
    assert len(cycle) == 2
    assert all("a -> b -> a" in line or "b -> a -> b" in line for line in cycle)
    assert "checked 1 ensemble: 3 error(s)" in done.stderr


def test_validate_without_arguments_checks_every_ensemble(project: Path) -> None:
    done = llm_orc(project, "validate")
    assert done.returncode == 0, done.stdout
    assert "checked" in done.stderr and "0 error(s)" in done.stderr


def test_plan_shows_levels_and_the_critical_path(project: Path) -> None:
    done = llm_orc(project, "plan", "pipeline")
    assert done.returncode == 0, done.stderr
    assert "level 0:" in done.stdout and "level 1:" in done.stdout
    assert "writer <- reader, other" in done.stdout
    assert "critical path (2 agents): reader -> writer" in done.stdout


def test_list_commands(project: Path) -> None:
    ensembles = llm_orc(project, "list-ensembles")
    assert ensembles.returncode == 0
    assert "pipeline" in ensembles.stdout and "code-review" in ensembles.stdout
    profiles = llm_orc(project, "list-profiles")
    assert "fake" in profiles.stdout and "local" in profiles.stdout


def test_config_show_says_where_each_profile_came_from(project: Path) -> None:
    done = llm_orc(project, "config", "show")
    assert done.returncode == 0, done.stderr
    assert "fake:  # from .llm-orc/config.yaml" in done.stdout
    assert "local:  # from <built-in>" in done.stdout


def test_init_creates_examples_and_never_overwrites_without_force(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    first = llm_orc(root, "init")
    assert first.returncode == 0
    review = root / ".llm-orc" / "ensembles" / "code-review.yaml"
    assert review.exists()
    review.write_text("# my edits\n" + review.read_text(encoding="utf-8"), encoding="utf-8")
    again = llm_orc(root, "init")
    assert again.returncode == 0
    assert review.read_text(encoding="utf-8").startswith("# my edits")
    assert "kept .llm-orc/ensembles/code-review.yaml" in again.stderr
    validated = llm_orc(root, "validate")
    assert validated.returncode == 0, validated.stdout


def test_invoke_jsonl_streams_every_event_then_the_result(project: Path) -> None:
    done = llm_orc(project, "invoke", "pipeline", "hello", "-o", "jsonl")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    event_schema = schema_validator("events")
    for event in events:
        event_schema.validate(event)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))  # no gaps on stdout
    assert events[0]["type"] == "ensemble_started"
    assert events[-1]["type"] == "ensemble_finished"
    assert [e["type"] for e in events].count("ensemble_finished") == 1
    result = events[-1]["result"]
    jsonschema.Draft202012Validator(load_schema("result")).validate(result)
    assert result["final_answer"]["agent"] == "writer"
    for name in ("reader", "other", "writer"):
        mine = [e for e in events if e.get("agent") == name]
        assert [mine[0]["type"], mine[-1]["type"]] == ["agent_started", "agent_finished"]
        streamed = "".join(e["text"] for e in mine if e["type"] == "agent_text_delta")
        assert streamed == mine[-1]["output"]
    assert {e["run_id"] for e in events} == {result["run_id"]}


class _Lines:
    """The lines a process writes, read on a thread so a test can wait for one with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def until(self, check: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """The first event document CHECK accepts; fails if none comes within TIMEOUT."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("no such event came in time") from None
            if line is None:
                raise AssertionError("the process ended before the event came")
            event: dict[str, Any] = json.loads(line)
            if check(event):
                return event

    def rest(self, timeout: float) -> list[dict[str, Any]]:
        """Every event document until the stream ends."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the process kept its output open"
        events = []
        while (line := self.lines.get_nowait()) is not None:
            events.append(json.loads(line))
        return events


def test_ctrl_c_cancels_cleanly_and_keeps_what_finished(project: Path) -> None:
    (project / "interrupt.yaml").write_text(
        "name: interrupt\nagents:\n"
        "  - name: quick\n    model_profile: fake\n"
        "  - name: stuck\n    model_profile: stuck\n    depends_on: [quick]\n"
        "  - name: never\n    model_profile: fake\n    depends_on: [stuck]\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [*_command(), "invoke", "interrupt.yaml", "go", "-o", "jsonl"],
        cwd=project,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        lines = _Lines(process.stdout)
        lines.until(  # `stuck` is generating (and hangs)
            lambda e: e["type"] == "agent_started" and e["agent"] == "stuck", timeout=30
        )
        process.send_signal(signal.SIGINT)
        events = lines.rest(timeout=30)
        process.wait(timeout=30)
        stderr = process.stderr.read()
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert events[-1]["type"] == "ensemble_finished"
    document = events[-1]["result"]
    assert document["status"] == "cancelled"
    statuses = {agent["name"]: agent["status"] for agent in document["agents"]}
    assert statuses == {"quick": "succeeded", "stuck": "cancelled", "never": "skipped"}
    assert document["agents"][0]["output"] == "quick read: go"


PLUGIN = """
from llm_orc.providers.base import Generation


class ShoutingProvider:
    name = "shouting"
    default_max_concurrency = None

    async def generate(self, request, on_text):
        text = request.prompt.upper()
        on_text(text)
        return Generation(text, 1, 1, request.model)
"""


def test_a_provider_installed_as_an_entry_point_plugin_is_used(
    project: Path, tmp_path: Path
) -> None:
    site = _plugin_site(
        tmp_path,
        "shouting_provider",
        PLUGIN,
        "[llm_orc.providers]\nshouting = shouting_provider:ShoutingProvider\n",
    )
    (project / "loud.yaml").write_text(
        "name: loud\nagents:\n  - name: a\n    model: any\n    provider: shouting\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [*_command(), "invoke", "loud.yaml", "quiet words", "-o", "text"],
        cwd=project,
        capture_output=True,
        text=True,
        env=_with_site(site),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "QUIET WORDS\n"
    without = llm_orc(project, "validate", "loud.yaml")
    assert without.returncode == 1
    assert "error[unknown-provider]" in without.stdout


def test_a_plain_install_has_no_scripted_provider(project: Path) -> None:
    """The test double is the suite's own plugin: without tests/plugins on the path, an ensemble
    naming it gets a located error and nothing runs."""
    (project / "double.yaml").write_text(
        "name: double\nagents:\n  - name: a\n    model: m\n    provider: scripted\n",
        encoding="utf-8",
    )
    plain = without_test_plugins(dict(os.environ))
    names = subprocess.run(
        [
            sys.executable,
            "-c",
            "from llm_orc.providers.registry import provider_names as p; print(p())",
        ],
        capture_output=True,
        text=True,
        env=plain,
        timeout=60,
        check=True,
    )
    assert names.stdout == (  # built-ins only
        "['anthropic', 'anthropic-api', 'gemini', 'google', 'google-gemini', 'local', 'ollama', "
        "'openai-compatible']\n"
    )
    for args in (("validate", "double.yaml"), ("invoke", "double.yaml", "go", "-o", "json")):
        done = subprocess.run(
            [*_command(), *args],
            cwd=project,
            capture_output=True,
            text=True,
            env=plain,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 1
        report = done.stdout + done.stderr
        assert (
            "double.yaml:5:15: error[unknown-provider]: provider 'scripted' is not available "
            "here (available: anthropic, anthropic-api, gemini, google, google-gemini, local, "
            "ollama, openai-compatible)"
        ) in report
        assert "Traceback" not in report
    with_plugins = llm_orc(project, "invoke", "double.yaml", "go", "-o", "text")
    assert with_plugins.returncode == 0, with_plugins.stderr
    assert with_plugins.stdout == "a: ok\n"


def test_invoke_markdown_is_a_report(project: Path) -> None:
    done = llm_orc(project, "invoke", "pipeline", "hello", "-o", "markdown")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# pipeline: succeeded\n")
    assert "## Final answer (writer)\n\nhello\n" in done.stdout
    headings = [line for line in done.stdout.splitlines() if line.startswith("### ")]
    assert headings == ["### reader: succeeded", "### other: succeeded", "### writer: succeeded"]
    assert "| scripted/fake-model (profile fake) |" in done.stdout


def test_invoke_template_renders_the_result_document(project: Path) -> None:
    (project / "brief.j2").write_text(
        "{{ ensemble }} {{ status }}\n{% for a in agents %}{{ a.name }}: {{ a.output }}\n"
        "{% endfor %}",
        encoding="utf-8",
    )
    done = llm_orc(project, "invoke", "pipeline", "hi", "--template", "brief.j2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["pipeline succeeded", "reader: reader read: hi", "other: other read: hi"]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("fine\n{% for a in agents %}\n", "llm-orc: error: bad.j2:2: template error: Unexpected"),
        ("{{ agents[0].nme }}\n", "llm-orc: error: bad.j2:1: template error: 'dict object' has"),
    ],
)
def test_a_template_error_is_one_located_line_and_exit_1(
    project: Path, template: str, message: str
) -> None:
    (project / "bad.j2").write_text(template, encoding="utf-8")
    done = llm_orc(project, "invoke", "pipeline", "hi", "-o", "template", "--template", "bad.j2")
    assert done.returncode == 1
    assert done.stderr.startswith(message)
    assert len(done.stderr.splitlines()) == 1
    assert done.stdout == ""


def test_an_unknown_output_format_suggests_the_near_one(project: Path) -> None:
    done = llm_orc(project, "invoke", "pipeline", "hi", "-o", "jsn")
    assert done.returncode == 2
    assert "unknown output format 'jsn'; did you mean 'json'? (available: json, jsonl," in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


FORMATTER_PLUGIN = """
class CountingFormatter:
    def __init__(self, context):
        self.out = context.out
        self.seen = []

    def handle(self, event):
        self.seen.append(event.type)
        if event.type == "agent_finished":
            self.out.write(f"live: {event.agent} finished\\n")
            self.out.flush()

    def finish(self, result):
        self.out.write(f"{result.status.value} after {len(self.seen)} events, ")
        self.out.write(f"first {self.seen[0]}, last {self.seen[-1]}\\n")
"""


def test_a_formatter_installed_as_an_entry_point_plugin_is_used(
    project: Path, tmp_path: Path
) -> None:
    site = _plugin_site(
        tmp_path,
        "counting_formatter",
        FORMATTER_PLUGIN,
        "[llm_orc.formatters]\ncounting = counting_formatter:CountingFormatter\n",
    )
    done = subprocess.run(
        [*_command(), "invoke", "pipeline", "hi", "-o", "counting"],
        cwd=project,
        capture_output=True,
        text=True,
        env=_with_site(site),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sorted(lines[:2]) == ["live: other finished", "live: reader finished"]
    assert lines[2] == "live: writer finished"
    assert lines[3].startswith("succeeded after ")
    assert lines[3].endswith("events, first ensemble_started, last ensemble_finished")
    unknown = llm_orc(project, "invoke", "pipeline", "hi", "-o", "counting")
    assert unknown.returncode == 2
    assert "unknown output format 'counting'" in unknown.stderr


def _plugin_site(tmp_path: Path, module: str, source: str, entry_points: str) -> Path:
    """A folder holding MODULE and its dist-info with ENTRY_POINTS: an installed package once
    the folder is on PYTHONPATH."""
    site = tmp_path / f"site-{module}"
    dist = site / f"{module}-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 1.0\n",
        encoding="utf-8",
    )
    (dist / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    return site


def _with_site(site: Path) -> dict[str, str]:
    """This process's environment with SITE added first to PYTHONPATH."""
    paths = [str(site), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
