"""Running ensembles from the editor, end to end: commands, streamed events, progress, cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from support.lsp import (
    RecordingClient,
    events_of,
    execute_command,
    open_document,
    progress_titled,
    run_event,
    run_finished,
    uri,
)

TRIO = """\
name: trio
default_task: Say hi.
agents:
  - {name: a, model_profile: fake}
  - {name: b, model_profile: fake}
  - {name: c, model_profile: fake, depends_on: [a, b]}
"""

# `quick` answers at once, `stuck` never does (until cancelled), `after` waits for `stuck`.
STUCK = """\
name: stuck
agents:
  - {name: quick, model_profile: fake}
  - {name: stuck, model_profile: fake, options: {hang: true}}
  - {name: after, model_profile: fake, depends_on: [stuck]}
"""

BROKEN = """\
name: broken
agents:
  - {name: a, model_profile: fake, depends_on: [ghost]}
"""


def add_ensemble(project: Path, name: str, text: str) -> Path:
    path = project / ".llm-orc" / "ensembles" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def start(client: RecordingClient, project: Path, **arguments: Any) -> str:
    arguments.setdefault("uri", uri(project / "notes.md"))
    reply = await execute_command(client, "llm-orc.runEnsemble", arguments)
    assert set(reply) == {"run_id"}
    run_id: str = reply["run_id"]
    return run_id


def agent_status(result: dict[str, Any]) -> dict[str, str]:
    return {agent["name"]: agent["status"] for agent in result["agents"]}


async def test_a_run_streams_its_events_in_order_with_progress_and_keeps_its_result(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "trio", TRIO)
    run_id = await start(client, project, ensemble="trio")
    final = await run_finished(client, run_id)
    events = events_of(client, run_id)

    assert events[0]["type"] == "ensemble_started"
    assert events[0]["agents"] == ["a", "b", "c"]
    assert events[-1] is final
    assert all(event["run_id"] == run_id for event in events)
    for name in ("a", "b", "c"):
        mine = [event for event in events if event.get("agent") == name]
        types_ = [event["type"] for event in mine]
        assert types_[0] == "agent_started" and types_[-1] == "agent_finished"
        assert set(types_[1:-1]) == {"agent_text_delta"}
        streamed = "".join(event["text"] for event in mine[1:-1])
        assert streamed == mine[-1]["output"] == f"{name} says hi"
        # Three pieces from the engine: the first at once, the other two merged.
        assert [event["text"] for event in mine[1:-1]] == [f"{name} ", "says hi"]
        assert mine[-1]["usage"]["output_tokens"] == 3
    order = [(event["type"], event.get("agent")) for event in events]
    c_started = order.index(("agent_started", "c"))
    assert c_started > order.index(("agent_finished", "a"))
    assert c_started > order.index(("agent_finished", "b"))

    result = final["result"]
    assert result["run_id"] == run_id
    assert result["status"] == "succeeded"
    assert result["input"] == "Say hi."
    assert result["final_answer"] == {"agent": "c", "output": "c says hi"}
    assert result["source"] == str(project / ".llm-orc" / "ensembles" / "trio.yaml")

    [(_token, reports)] = progress_titled(client, "llm-orc: trio")
    begin, *middle, end = reports
    assert isinstance(begin, types.WorkDoneProgressBegin)
    assert (begin.cancellable, begin.percentage, begin.message) == (True, 0, "0/3 agents")
    assert all(isinstance(report, types.WorkDoneProgressReport) for report in middle)
    percentages = [report.percentage for report in middle]
    assert percentages == sorted(percentages) and percentages[-1] == 100
    messages = [report.message for report in middle]
    assert "2/3 agents · c writing" in messages and messages[-1] == "3/3 agents"
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "succeeded"

    assert await execute_command(client, "llm-orc.runResult", {"run_id": run_id}) == result
    [listed] = await execute_command(client, "llm-orc.listRuns")
    assert listed == {
        "run_id": run_id,
        "ensemble": "trio",
        "source": result["source"],
        "status": "succeeded",
    }


async def test_the_command_returns_at_once_and_cancel_run_keeps_finished_agents(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "stuck", STUCK)
    run_id = await start(client, project, ensemble="stuck", input="Review this.")
    # The command answered while `stuck` cannot finish: the run goes on in the background.
    await run_event(client, run_id, "agent_started", "stuck")
    await run_event(client, run_id, "agent_finished", "quick")
    assert await execute_command(client, "llm-orc.runResult", {"run_id": run_id}) == {
        "run_id": run_id,
        "status": "running",
    }

    document = await execute_command(client, "llm-orc.cancelRun", {"run_id": run_id})
    assert document["status"] == "cancelled"
    assert agent_status(document) == {
        "quick": "succeeded",
        "stuck": "cancelled",
        "after": "skipped",
    }
    assert document["agents"][0]["output"] == "quick says hi"

    final = await run_finished(client, run_id)
    assert final["result"] == document
    [(_token, reports)] = progress_titled(client, "llm-orc: stuck")
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    assert reports[-1].message == "cancelled"
    assert await execute_command(client, "llm-orc.runResult", {"run_id": run_id}) == document


async def test_cancelling_the_progress_cancels_the_run(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "stuck", STUCK)
    run_id = await start(client, project, ensemble="stuck", input="Review this.")
    await run_event(client, run_id, "agent_started", "stuck")
    await run_event(client, run_id, "agent_finished", "quick")
    [(token, _reports)] = progress_titled(client, "llm-orc: stuck")

    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))

    final = await run_finished(client, run_id)
    assert final["result"]["status"] == "cancelled"
    assert agent_status(final["result"]) == {
        "quick": "succeeded",
        "stuck": "cancelled",
        "after": "skipped",
    }
    reports = client.progress_reports[token]
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    assert reports[-1].message == "cancelled"
    result = await execute_command(client, "llm-orc.runResult", {"run_id": run_id})
    assert result == final["result"]


async def test_diagnostics_and_other_runs_go_on_while_a_run_hangs(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "stuck", STUCK)
    add_ensemble(project, "trio", TRIO)
    stuck = await start(client, project, ensemble="stuck", input="Review this.")
    await run_event(client, stuck, "agent_started", "stuck")

    broken = open_document(client, project / ".llm-orc" / "ensembles" / "broken.yaml", BROKEN)
    [diagnostic] = await client.diagnostics_for(broken, version=1)
    assert diagnostic.code == "missing-dependency"

    trio = await start(client, project, ensemble="trio")
    assert (await run_finished(client, trio))["result"]["status"] == "succeeded"
    [(stuck_token, _)] = progress_titled(client, "llm-orc: stuck")
    [(trio_token, _)] = progress_titled(client, "llm-orc: trio")
    assert stuck_token != trio_token

    statuses = {
        run["run_id"]: run["status"] for run in await execute_command(client, "llm-orc.listRuns")
    }
    assert statuses == {stuck: "running", trio: "succeeded"}
    await execute_command(client, "llm-orc.cancelRun", {"run_id": stuck})


async def test_an_open_ensemble_runs_as_it_is_in_the_editor(
    client: RecordingClient, project: Path
) -> None:
    path = add_ensemble(
        project, "draft", "name: draft\nagents:\n  - {name: saved, model_profile: fake}\n"
    )
    edited = "name: draft\nagents:\n  - {name: edited, model_profile: echo}\n"
    document = open_document(client, path, edited)
    run_id = await start(client, project, ensemble=str(path), input="Hello there.", uri=document)
    final = await run_finished(client, run_id)
    [agent] = final["result"]["agents"]
    assert agent["name"] == "edited"
    assert "Hello there." in agent["output"]  # the `echo` profile replies with the prompt


async def test_a_name_resolves_in_the_workspace_of_the_document(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "trio", TRIO)
    source = project / "src" / "app.py"
    run_id = await start(client, project, ensemble="trio", input="def f(): pass", uri=uri(source))
    final = await run_finished(client, run_id)
    assert final["result"]["input"] == "def f(): pass"
    assert final["result"]["agents"][0]["profile"] == "fake"


async def test_run_events_replays_a_run_for_a_late_client(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "trio", TRIO)
    run_id = await start(client, project, ensemble="trio")
    await run_finished(client, run_id)
    live = events_of(client, run_id)

    replay = await execute_command(client, "llm-orc.runEvents", {"run_id": run_id})
    assert set(replay) == {"run_id", "events", "finished"}
    assert replay["run_id"] == run_id and replay["finished"] is True
    events = replay["events"]
    seqs = [event["seq"] for event in events]
    assert seqs[0] == 1 and seqs == sorted(set(seqs))
    assert events[-1] == live[-1]  # the same ensemble_finished, result and all

    def without_deltas(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [event for event in items if event["type"] != "agent_text_delta"]

    assert without_deltas(events) == without_deltas(live)
    for name in ("a", "b", "c"):
        deltas = [e for e in events if e["type"] == "agent_text_delta" and e["agent"] == name]
        assert "".join(d["text"] for d in deltas) == f"{name} says hi"
        assert len(deltas) == 2  # the first piece, then the rest merged
        assert {d["attempt"] for d in deltas} == {1}

    finished_a = next(e for e in live if e["type"] == "agent_finished" and e["agent"] == "a")
    later = await execute_command(
        client, "llm-orc.runEvents", {"run_id": run_id, "after_seq": finished_a["seq"]}
    )
    assert later["events"] == [e for e in events if e["seq"] > finished_a["seq"]]


async def test_run_events_of_a_running_run_say_it_is_not_finished(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "stuck", STUCK)
    run_id = await start(client, project, ensemble="stuck", input="Review this.")
    await run_event(client, run_id, "agent_started", "stuck")
    replay = await execute_command(client, "llm-orc.runEvents", {"run_id": run_id})
    assert replay["finished"] is False
    assert replay["events"][0]["type"] == "ensemble_started"
    assert all(event["type"] != "ensemble_finished" for event in replay["events"])
    await execute_command(client, "llm-orc.cancelRun", {"run_id": run_id})
    replay = await execute_command(client, "llm-orc.runEvents", {"run_id": run_id})
    assert replay["finished"] is True
    assert replay["events"][-1]["result"]["status"] == "cancelled"


# -- errors ------------------------------------------------------------------------------------


async def test_an_unknown_ensemble_is_a_clear_error(client: RecordingClient, project: Path) -> None:
    add_ensemble(project, "trio", TRIO)
    with pytest.raises(JsonRpcException) as caught:
        await start(client, project, ensemble="nope", input="x")
    message = caught.value.message
    assert message.startswith("no ensemble named 'nope'; available: ")
    assert "trio" in message and "code-review" in message
    assert caught.value.code == types.LSPErrorCodes.RequestFailed


async def test_an_invalid_ensemble_is_a_located_one_line_error(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "broken", BROKEN)
    with pytest.raises(JsonRpcException) as caught:
        await start(client, project, ensemble="broken", input="x")
    message = caught.value.message
    assert "\n" not in message and "Traceback" not in message
    path = project / ".llm-orc" / "ensembles" / "broken.yaml"
    assert message == (
        f"{path}:3:49: error[missing-dependency]: "
        "depends_on names 'ghost', which is not an agent of this ensemble"
    )
    assert caught.value.data is None
    assert not client.run_events


async def test_running_without_input_or_default_task_asks_for_input(
    client: RecordingClient, project: Path
) -> None:
    path = add_ensemble(project, "stuck", STUCK)
    with pytest.raises(JsonRpcException) as caught:
        # What the code lens sends: the file, no input.
        await start(client, project, ensemble=str(path), uri=uri(path))
    message = caught.value.message
    assert message.startswith("ensemble 'stuck' needs an input and has no default_task")
    assert "Run ensemble stuck on selection" in message
    [shown] = client.messages
    assert shown.type == types.MessageType.Error
    assert message in shown.message


async def test_malformed_arguments_and_unknown_runs_are_errors(
    client: RecordingClient, project: Path
) -> None:
    with pytest.raises(JsonRpcInvalidParams, match="takes one argument object"):
        await execute_command(client, "llm-orc.runEnsemble", "trio", "input")
    with pytest.raises(JsonRpcInvalidParams, match="'ensemble' must be"):
        await execute_command(client, "llm-orc.runEnsemble", {"input": "x"})
    with pytest.raises(JsonRpcException, match="no run 'missing'"):
        await execute_command(client, "llm-orc.runResult", {"run_id": "missing"})
    with pytest.raises(JsonRpcInvalidParams, match=r"expected \{run_id\}"):
        await execute_command(client, "llm-orc.runResult", {"runId": "missing"})  # one casing
    with pytest.raises(JsonRpcInvalidParams, match="'after_seq' must be"):
        await execute_command(client, "llm-orc.runEvents", {"run_id": "x", "after_seq": -1})
    with pytest.raises(JsonRpcException, match="no such ensemble file"):
        await execute_command(
            client, "llm-orc.runEnsemble", {"ensemble": str(project / "gone.yaml"), "input": "x"}
        )


async def test_an_ensemble_file_relative_to_the_root_folder_runs(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "trio", TRIO)
    reply = await execute_command(
        client, "llm-orc.runEnsemble", {"ensemble": ".llm-orc/ensembles/trio.yaml"}
    )
    final = await run_finished(client, reply["run_id"])
    assert final["result"]["status"] == "succeeded"


async def test_list_ensembles_gives_the_pickers_names_descriptions_and_order(
    client: RecordingClient, project: Path
) -> None:
    add_ensemble(project, "trio", "description: Three agents, one answer\n" + TRIO)
    source = project / "app.py"
    source.write_text("print('hi')\n", encoding="utf-8")
    open_document(client, source, "print('hi')\n", language="python")

    listed = await execute_command(client, "llm-orc.listEnsembles", {"uri": uri(source)})

    names = [entry["name"] for entry in listed]
    assert names[0] == "code-review"  # source code: the review comes first, as in code actions
    assert sorted(names[1:]) == names[1:]
    trio = next(entry for entry in listed if entry["name"] == "trio")
    assert trio["description"] == "Three agents, one answer"
    assert trio["path"] == str(project / ".llm-orc" / "ensembles" / "trio.yaml")
    built_in = next(entry for entry in listed if entry["name"] == "code-review")
    assert built_in["tier"] != trio["tier"]

    prose = await execute_command(client, "llm-orc.listEnsembles", {})
    assert sorted(entry["name"] for entry in prose) == [entry["name"] for entry in prose]

    with pytest.raises(JsonRpcException):
        await execute_command(client, "llm-orc.listEnsembles", {"uri": 7})
