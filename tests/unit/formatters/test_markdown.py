"""The markdown report, from a real run on the deterministic provider."""

from __future__ import annotations

import dataclasses
import io

from llm_orc.execution.result import RunResult, RunStatus
from llm_orc.execution.runner import run
from llm_orc.formatters.base import FormatterContext
from llm_orc.formatters.markdown import render_markdown
from llm_orc.formatters.text import TextFormatter
from support.ensembles import agent, ensemble, scripted_profiles

_ENSEMBLE = ensemble(
    agent("rescued", profile="primary", fallback_model_profile="backup"),
    agent("bad", profile="broken"),
    agent("after_bad", "bad"),
    agent("final", "rescued", profile="writer", on_dependency_failure="continue"),
)


async def _mixed_run() -> RunResult:
    profiles = scripted_profiles(
        primary={"options": {"error": "primary is down"}, "model": "big"},
        backup={"options": {"reply": "from backup"}, "model": "small"},
        broken={"options": {"fail_agents": ["bad"]}},
        writer={"options": {"reply": "The **answer**."}},
    )
    return await run(_ENSEMBLE, "the task", profiles=profiles)


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


async def test_a_run_that_broke_says_why_under_the_title_and_in_every_other_format() -> None:
    ran = await _mixed_run()
    broken = dataclasses.replace(ran, status=RunStatus.FAILED, error="RuntimeError: late")
    report = render_markdown(broken)
    assert report.startswith("# test: failed\n\n")
    assert "\n\n**The run failed:** RuntimeError: late\n\n## Final answer" in report
    assert "The run failed" not in render_markdown(ran)
    out, err = io.StringIO(), io.StringIO()
    TextFormatter(FormatterContext(ensemble=_ENSEMBLE, out=out, err=err)).finish(broken)
    assert err.getvalue().startswith("llm-orc: the run failed: RuntimeError: late\n")
