"""`llm-orc validate` of a valid ensemble imports only what validating needs (start-up time):
jsonschema words errors, so a valid document never imports it; nothing runs, so no asyncio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "server" / "llm_orc" / "ensembles" / "code-review.yaml"

CODE = """\
import sys
from llm_orc.cli.main import main
status = main(["validate", sys.argv[1]])
heavy = [name for name in ("jsonschema", "referencing", "asyncio") if name in sys.modules]
print("imported:", heavy)
sys.exit(status)
"""


def _validate(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-c", CODE, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )


def test_a_valid_ensemble_is_validated_without_jsonschema_or_asyncio(tmp_path: Path) -> None:
    done = _validate(SHIPPED, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "imported: []" in done.stdout


def test_an_invalid_ensemble_still_gets_jsonschemas_wording(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: b\nagents:\n  - name: a\n    temperature: hot\n", encoding="utf-8")
    done = _validate(broken, tmp_path)
    assert done.returncode == 1
    assert "broken.yaml:4:18: error[invalid-type]" in done.stdout
    assert "'jsonschema'" in done.stdout
