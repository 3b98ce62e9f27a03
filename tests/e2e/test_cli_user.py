"""Issue 14, as a new user meets it: the CLI as a subprocess, on the deterministic provider."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

CONFIG = """\
model_profiles:
  default:
    provider: scripted
    model: fake-model
    options:
      reply: "{agent} read: {input}"
"""

TEAM = """\
name: team
agents:
  - name: a
  - name: b
  - name: c
    depends_on: [a, b]
    prompt_template: "{inptu} and {deps.a} and {deps.zz}"
"""


def _command() -> list[str]:
    script = Path(sys.executable).parent / "llm-orc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_orc.cli.main"]


@pytest.fixture
def project(tmp_path: Path, isolated_config: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".llm-orc" / "ensembles").mkdir(parents=True)
    (root / ".llm-orc" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (root / ".llm-orc" / "ensembles" / "team.yaml").write_text(TEAM, encoding="utf-8")
    return root


def llm_orc(
    project: Path, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*_command(), *args],
        cwd=project,
        input=stdin,
        capture_output=True,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
        timeout=60,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def _break_config(project: Path, text: str) -> None:
    (project / ".llm-orc" / "config.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "broken",
    [
        CONFIG.replace("model: fake-model", "model: fake-model\n    max_token: 5"),
        CONFIG + "  : [unclosed\n",
    ],
    ids=["typo", "bad-yaml"],
)
def test_a_broken_config_stops_invoke_and_plan_and_validate_alike(
    project: Path, broken: str
) -> None:
    _break_config(project, broken)
    outcomes = {
        command: llm_orc(project, *args)
        for command, args in {
            "validate": ("validate", "team"),
            "plan": ("plan", "team"),
            "invoke": ("invoke", "team", "hi", "-o", "text"),
        }.items()
    }
    for command, done in outcomes.items():
        assert done.returncode == 1, (command, done.stderr)
        assert done.stdout == "" or command == "validate", (command, done.stdout)
        shown = done.stdout + done.stderr
        assert ".llm-orc/config.yaml:" in shown, command
        assert "error[profile-not-loaded]: profile 'default' cannot be used" in shown, command
        assert "the built-in 'default'" in shown, command
    # The configuration's problem comes first, before anything about the ensemble.
    invoke = outcomes["invoke"].stderr.splitlines()
    assert invoke[0].startswith(".llm-orc/config.yaml:")


def test_a_broken_config_file_does_not_stop_an_ensemble_that_does_not_use_it(
    project: Path,
) -> None:
    (project / ".llm-orc" / "profiles").mkdir()
    (project / ".llm-orc" / "profiles" / "other.yaml").write_text(
        "name: other\nprovider: scripted\nmodel: m\nmax_token: 3\n", encoding="utf-8"
    )
    done = llm_orc(project, "invoke", "team", "hi", "-o", "text")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(".llm-orc/profiles/other.yaml:4:1: error[unknown-key]")


def test_invoke_shows_the_ensembles_warnings_before_it_runs(project: Path) -> None:
    done = llm_orc(project, "invoke", "team", "hi", "-o", "text")
    assert done.returncode == 0, done.stderr
    validate = llm_orc(project, "validate", "team")
    warnings = [line for line in validate.stdout.splitlines() if "warning[" in line]
    assert len(warnings) == 2
    assert "{deps.zz} is not replaced" in warnings[1]
    assert "{inptu}" in warnings[0] and "did you mean '{input}'?" in warnings[0]
    assert [line for line in done.stderr.splitlines() if "warning[" in line] == warnings


def test_an_instruction_after_an_option_is_the_instruction(project: Path) -> None:
    (project / "app.py").write_text("print(1)\n", encoding="utf-8")
    after = llm_orc(project, "invoke", "team", "-f", "app.py", "Focus on errors", "-o", "json")
    before = llm_orc(project, "invoke", "team", "Focus on errors", "-f", "app.py", "-o", "json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["input"] == json.loads(before.stdout)["input"]
    assert json.loads(after.stdout)["input"] == "Focus on errors\n\nprint(1)\n"
    extra = llm_orc(project, "invoke", "team", "-f", "app.py", "one", "two")
    assert extra.returncode == 2
    assert extra.stderr.startswith("usage: llm-orc invoke")
    assert "unrecognized arguments: two" in extra.stderr


def test_usage_errors_read_as_people_write_them(project: Path) -> None:
    unknown = llm_orc(project, "invoke", "teem", "hi")
    assert unknown.returncode == 1
    assert "no ensemble named 'teem'" in unknown.stderr
    assert "did you mean 'team'?" in unknown.stderr
    bad = llm_orc(project, "invoke", "team", "--max-concurrency", "abc", "hi")
    assert bad.returncode == 2
    assert "--max-concurrency: must be a positive integer, not 'abc'" in bad.stderr


def test_validate_a_folder_checks_the_ensembles_in_it(project: Path) -> None:
    folder = project / "more"
    (folder / "deep").mkdir(parents=True)
    (folder / "one.yaml").write_text("name: one\nagents:\n  - name: a\n", encoding="utf-8")
    (folder / "deep" / "two.yml").write_text("name: two\nagents: 3\n", encoding="utf-8")
    done = llm_orc(project, "validate", "more")
    assert done.returncode == 1
    assert "checked 2 ensembles: 1 error(s)" in done.stderr
    assert done.stdout.startswith("more/deep/two.yml:2:9: error[")


def test_list_ensembles_says_project_and_where_each_came_from(project: Path) -> None:
    done = llm_orc(project, "list-ensembles")
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("team ")]
    assert " project " in line and ".llm-orc/ensembles/team.yaml" in line
    assert "local" not in line
    [builtin] = [line for line in done.stdout.splitlines() if line.startswith("code-review ")]
    assert " built-in " in builtin


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
def test_piped_input_that_is_not_utf8_is_refused_before_anything_runs(
    project: Path, locale: str
) -> None:
    done = llm_orc(
        project, "invoke", "team", "-o", "jsonl", stdin=b"ok \xff\xfe", env={"LC_ALL": locale}
    )
    assert done.returncode == 1
    assert done.stdout == ""  # not one event: nothing ran
    assert "Traceback" not in done.stderr
    assert "llm-orc: error: standard input: not UTF-8 text (byte 4 is 0xff)" in done.stderr


def test_plan_says_what_really_runs_in_parallel(project: Path) -> None:
    local = "name: reviewers\nmax_concurrency: 3\nagents:\n" + "".join(
        f"  - {{name: r{i}, model_profile: local}}\n" for i in range(3)
    )
    (project / ".llm-orc" / "ensembles" / "reviewers.yaml").write_text(local, encoding="utf-8")
    done = llm_orc(project, "plan", "reviewers")
    assert done.returncode == 0, done.stderr
    assert "concurrency: at most 1 agent generates at once" in done.stdout
    assert "provider 'local': 1 at a time" in done.stdout
    assert "this run: 3 at a time" in done.stdout
    scripted = llm_orc(project, "plan", "team")
    assert "concurrency: at most 3 agents generate at once" in scripted.stdout
    assert "provider 'scripted': no limit of its own" in scripted.stdout


def test_lsp_with_standard_input_closed_says_why(project: Path) -> None:
    done = subprocess.run(
        [*_command(), "lsp"],
        cwd=project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "standard input" in done.stderr


def test_lsp_with_standard_input_really_closed_says_why(project: Path) -> None:
    done = subprocess.run(
        [*_command(), "lsp"],
        cwd=project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(0),
    )
    assert done.returncode == 1
    assert done.stderr == (
        "llm-orc lsp: standard input is closed: an editor starts the server with a pipe on "
        "standard input (or use --tcp)\n"
    )


def test_a_json_agent_whose_output_does_not_parse_keeps_its_text(project: Path) -> None:
    (project / ".llm-orc" / "ensembles" / "triage.yaml").write_text(
        "name: triage\nagents:\n  - name: j\n    output_format: json\n"
        '    options: {reply: "{\\"summary\\": \\"tab\\there\\"}"}\n',
        encoding="utf-8",
    )
    done = llm_orc(project, "invoke", "triage", "hi", "-o", "json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    [agent] = document["agents"]
    assert agent["status"] == "failed"
    assert agent["output"] == '{"summary": "tab\there"}'  # what the model wrote, to read
    assert agent["error"]["message"] == (
        "output is not valid JSON (Invalid control character at line 1 column 17)"
    )
    assert document["final_answer"] == {"agent": "j", "output": None}


def test_a_number_json_cannot_hold_is_a_located_error_and_nothing_runs(project: Path) -> None:
    (project / "nan.yaml").write_text(
        "name: nan\nagents:\n  - name: a\n    temperature: .nan\n    timeout_seconds: .inf\n",
        encoding="utf-8",
    )
    validate = llm_orc(project, "validate", "nan.yaml")
    assert validate.returncode == 1
    assert validate.stdout.splitlines() == [
        "nan.yaml:4:18: error[not-json]: NaN is not a number JSON can hold; write a finite number",
        "nan.yaml:5:22: error[not-json]: an infinity is not a number JSON can hold; write a "
        "finite number",
    ]
    invoke = llm_orc(project, "invoke", "nan.yaml", "hi", "-o", "jsonl")
    assert invoke.returncode == 1 and invoke.stdout == ""
    assert "error[not-json]" in invoke.stderr


def test_a_fallback_is_shown_in_text_and_rich_output_not_only_in_json(project: Path) -> None:
    (project / ".llm-orc" / "config.yaml").write_text(
        CONFIG
        + "  flaky:\n    provider: scripted\n    model: m\n    options: {fail_agents: [a]}\n",
        encoding="utf-8",
    )
    (project / "fb.yaml").write_text(
        "name: fb\nagents:\n  - name: a\n    model_profile: flaky\n"
        "    fallback_model_profile: default\n",
        encoding="utf-8",
    )
    switch = "fell back from profile 'flaky' to 'default': scripted failure"
    text = llm_orc(project, "invoke", "fb.yaml", "hi", "-o", "text")
    assert text.returncode == 0, text.stderr
    assert text.stdout == "a read: hi\n"  # the answer stays clean for a pipe
    assert text.stderr == f"llm-orc: agent 'a' {switch}\n"
    rich = llm_orc(project, "invoke", "fb.yaml", "hi", "-o", "rich", env={"COLUMNS": "80"})
    assert rich.returncode == 0, rich.stderr
    assert f"a: {switch}" in rich.stdout


STARTING = """
import os, signal, sys
sys.argv[0] = os.path.join(os.path.dirname(sys.executable), "llm-orc")  # as the script runs
import llm_orc.cli  # what the console script imports first
os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the command's modules import
from llm_orc.cli.main import main
sys.exit(main(["list-ensembles"]))
"""


def test_ctrl_c_while_the_cli_imports_is_one_line_and_exit_130(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", STARTING], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr, done.stdout) == (130, "llm-orc: interrupted\n", "")


def test_a_model_file_that_does_not_exist_is_a_located_validation_error(project: Path) -> None:
    (project / ".llm-orc" / "config.yaml").write_text(
        CONFIG + "  big:\n    provider: local\n    model: ~/no-such-dir/big.gguf\n",
        encoding="utf-8",
    )
    (project / "big.yaml").write_text(
        "name: big\nagents:\n  - name: a\n    model_profile: big\n"
        "  - {name: b, provider: local, model: ./missing.gguf}\n",
        encoding="utf-8",
    )
    validate = llm_orc(project, "validate", "big.yaml")
    assert validate.returncode == 1
    assert validate.stdout.splitlines() == [
        ".llm-orc/config.yaml:9:12: error[missing-model]: profile 'big': model file "
        "'~/no-such-dir/big.gguf' does not exist; give 'model' the path of a GGUF file, or the "
        "embedded model's name, smollm2-135m-instruct",
        "big.yaml:4:20: error[missing-model]: profile 'big' (.llm-orc/config.yaml) runs model "
        "file '~/no-such-dir/big.gguf', which does not exist",
        "big.yaml:5:39: error[missing-model]: model file './missing.gguf' does not exist",
    ]
    invoke = llm_orc(project, "invoke", "big.yaml", "hi", "-o", "jsonl")
    assert invoke.returncode == 1 and invoke.stdout == ""
    assert invoke.stderr.splitlines()[:3] == validate.stdout.splitlines()
    for listing in (("list-profiles",), ("config", "show")):
        shown = llm_orc(project, *listing)
        assert shown.stderr.startswith(".llm-orc/config.yaml:9:12: error[missing-model]"), listing
    team = llm_orc(project, "invoke", "team", "hi", "-o", "text")  # does not use 'big': runs
    assert team.returncode == 0, team.stderr
    assert team.stderr.startswith(".llm-orc/config.yaml:9:12: error[missing-model]")


def test_an_answer_cut_at_max_tokens_says_so_in_text_rich_and_json(project: Path) -> None:
    (project / "cut.yaml").write_text(
        "name: cut\nagents:\n  - name: a\n"
        "    options: {reply: 'half a sen', finish_reason: length}\n",
        encoding="utf-8",
    )
    text = llm_orc(project, "invoke", "cut.yaml", "hi", "-o", "text")
    assert text.returncode == 0, text.stderr
    assert text.stdout == "half a sen\n"
    assert text.stderr == "llm-orc: agent 'a' was truncated: its output was cut at max_tokens\n"
    rich = llm_orc(project, "invoke", "cut.yaml", "hi", "-o", "rich")
    assert "truncated: the answer was cut at max_tokens" in rich.stdout
    document = json.loads(llm_orc(project, "invoke", "cut.yaml", "hi", "-o", "json").stdout)
    assert document["agents"][0]["finish_reason"] == "length"


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _read_until(fd: int, done: Callable[[bytes], bool], seen: bytes, seconds: float) -> bytes:
    """Read the terminal FD until DONE(what was read) or end of file, within SECONDS."""
    deadline = time.monotonic() + seconds
    while not done(seen) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], deadline - time.monotonic())
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end closed: the process has exited
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_ctrl_c_typed_in_an_80_column_terminal_leaves_room_for_its_echo(project: Path) -> None:
    (project / "stuck.yaml").write_text(
        "name: stuck-run\nagents:\n  - name: a\n    options: {hang: true}\n  - name: b\n"
        "    depends_on: [a]\n",
        encoding="utf-8",
    )
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of 80 columns, as a user's
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            os.chdir(project)
            os.environ.update({"COLUMNS": "80", "LINES": "24", "TERM": "xterm"})
            command = _command()
            os.execv(command[0], [*command, "invoke", "stuck.yaml", "hi"])
        finally:
            os._exit(127)  # never back into pytest
    try:
        seen = _read_until(fd, lambda out: b"waiting for a" in out, b"", 30)
        assert b"waiting for a" in seen, seen
        os.write(fd, b"\x03")  # Ctrl-C as typed: the terminal sends SIGINT and echoes ^C
        seen = _read_until(fd, lambda out: False, seen, 30)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 130
    screen = ANSI.sub("", seen.decode("utf-8", "replace"))
    lines = [line for part in screen.split("\n") for line in part.split("\r")]
    assert any("stuck-run" in line for line in lines)
    # Every line of the live view ends two columns short of the terminal's width, so the
    # echoed "^C" never wraps to a line the redraw does not know of.
    assert max(len(line.rstrip("^C")) for line in lines) <= 78
