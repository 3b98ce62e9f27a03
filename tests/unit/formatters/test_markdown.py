"""The markdown report, from a real run on the deterministic provider."""

from __future__ import annotations

from llm_orc.execution.result import RunResult
from llm_orc.execution.runner import run
from llm_orc.formatters.markdown import render_markdown
from support.ensembles import agent, ensemble, scripted_profiles


async def _mixed_run() -> RunResult:
    profiles = scripted_profiles(
        primary={"options": {"error": "primary is down"}, "model": "big"},
        backup={"options": {"reply": "from backup"}, "model": "small"},
        broken={"options": {"fail_agents": ["bad"]}},
        writer={"options": {"reply": "The **answer**."}},
    )
    ens = ensemble(
        agent("rescued", profile="primary", fallback_model_profile="backup"),
        agent("bad", profile="broken"),
        agent("after_bad", "bad"),
        agent("final", "rescued", profile="writer", on_dependency_failure="continue"),
    )
    return await run(ens, "the task", profiles=profiles)


def _section(report: str, heading: str) -> str:
    start = report.index(heading)
    end = report.find("\n### ", start + 1)
    return report[start : end if end != -1 else len(report)]


async def test_report_has_the_answer_first_then_one_section_per_agent() -> None:
    result = await _mixed_run()
    report = render_markdown(result)
    assert report.startswith("# test: partial\n\n2 of 4 agents succeeded in ")
    assert report.index("## Final answer (final)\n\nThe **answer**.\n") < report.index("## Agents")
    headings = [line for line in report.splitlines() if line.startswith("### ")]
    assert headings == [
        "### rescued: succeeded",
        "### bad: failed",
        "### after_bad: skipped",
        "### final: succeeded",
    ]
    assert report.endswith("The **answer**.\n")
    assert "\n\n\n" not in report


async def test_sections_show_model_tokens_fallbacks_and_failures() -> None:
    result = await _mixed_run()
    report = render_markdown(result)
    rescued = _section(report, "### rescued")
    usage = result.agent("rescued").usage
    assert "| scripted/small (profile backup) |" in rescued
    assert f"| {usage.input_tokens} in + {usage.output_tokens} out | $0.0000 |" in rescued
    assert "**Fallback**: from profile `primary` to `backup`: primary is down" in rescued
    assert "from backup" in rescued
    bad = _section(report, "### bad")
    assert "**Error** (provider): scripted failure" in bad
    skipped = _section(report, "### after_bad")
    assert "**Skipped** (skipped): dependency 'bad' failed" in skipped
    assert "| - | - | 0 | 0 in + 0 out | $0.0000 |" in skipped
