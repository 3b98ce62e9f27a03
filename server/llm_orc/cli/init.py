"""`llm-orc init`: create `.llm-orc/` in the working directory with the example ensembles."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from llm_orc.cli.main import EXIT_OK
from llm_orc.config.locations import BUILTIN_ENSEMBLES, LOCAL_DIR_NAME

CONFIG_TEMPLATE = """\
# llm-orc project configuration. Profiles here override the global ones
# (~/.config/llm-orc/); *.local.yaml files override both and are meant to stay out of git.
# `default` is the embedded local model until you point it elsewhere, for example:
#
# model_profiles:
#   default:
#     provider: local
#     model: smollm2-135m-instruct
#     max_tokens: 400
model_profiles: {}
"""


def run_command(args: argparse.Namespace) -> int:
    root = Path.cwd() / LOCAL_DIR_NAME
    ensembles = root / "ensembles"
    ensembles.mkdir(parents=True, exist_ok=True)
    (root / "profiles").mkdir(exist_ok=True)
    created: list[str] = []
    kept: list[str] = []
    config = root / "config.yaml"
    if not config.exists():
        config.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        created.append(str(config.relative_to(Path.cwd())))
    for source in sorted(BUILTIN_ENSEMBLES.glob("*.yaml")):
        target = ensembles / source.name
        shown = str(target.relative_to(Path.cwd()))
        if target.exists() and not args.force:
            kept.append(shown)
            continue
        shutil.copyfile(source, target)
        created.append(shown)
    for path in created:
        print(f"created {path}")
    for path in kept:
        print(f"kept {path} (exists; --force overwrites it)", file=sys.stderr)
    return EXIT_OK
