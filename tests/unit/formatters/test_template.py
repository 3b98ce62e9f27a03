"""The template formatter: Jinja2 in a sandbox, fed the result document, errors located."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from llm_orc.execution.result import RunResult
from llm_orc.execution.runner import run
from llm_orc.formatters.base import FormatterContext, FormatterError
from llm_orc.formatters.template import TemplateFormatter
from support.ensembles import agent, ensemble, scripted_profiles


async def _result() -> RunResult:
    ens = ensemble(agent("a"), agent("b", "a"))
    return await run(ens, "go", profiles=scripted_profiles())


def _formatter(path: Path) -> tuple[TemplateFormatter, io.StringIO]:
    out = io.StringIO()
    context = FormatterContext(
        ensemble=ensemble(agent("a")), out=out, err=io.StringIO(), template=path
    )
    return TemplateFormatter(context), out


def _write(tmp_path: Path, text: str, name: str = "report.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_the_template_sees_the_result_document(tmp_path: Path) -> None:
    _write(tmp_path, "[{{ final_answer.agent }}]", "header.j2")
    path = _write(
        tmp_path,
        "{% include 'header.j2' %} {{ status }}/{{ result.totals.agents }}\n"
        "{% for a in agents %}{{ a.name }}={{ a.output }};{% endfor %}\n",
    )
    formatter, out = _formatter(path)
    formatter.finish(await _result())
    assert out.getvalue() == "[b] succeeded/2\na=a: ok;b=b: ok;\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("ok\n{% for a in agents %}\n{{ a.name }\n", 3, "unexpected '}'"),
        ("ok\n{% if status %}\n", 2, "Unexpected end of template"),
    ],
)
def test_a_syntax_error_is_refused_before_the_run(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(FormatterError) as caught:
        _formatter(path)
    assert str(caught.value).startswith(f"{path}:{line}: template error: {message}")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "a\n{% for a in agents %}{{ a.nme }}{% endfor %}",
            2,
            "'dict object' has no attribute 'nme'",
        ),
        ("a\nb\n{{ 1 // 0 }}\n", 3, "integer division or modulo by zero"),
        ("{{ ''.__class__ }}", 1, "access to attribute '__class__' of 'str' object is unsafe."),
        ("{{ nothing }}", 1, "'nothing' is undefined"),
    ],
)
async def test_a_rendering_error_is_one_located_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    formatter, out = _formatter(path)
    with pytest.raises(FormatterError) as caught:
        formatter.finish(await _result())
    assert str(caught.value) == f"{path}:{line}: template error: {message}"
    assert out.getvalue() == ""


def test_a_missing_template_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FormatterError, match="no such template file"):
        _formatter(tmp_path / "absent.j2")
