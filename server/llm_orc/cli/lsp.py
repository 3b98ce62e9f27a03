"""`llm-orc lsp`: start the language server."""

from __future__ import annotations

import argparse


def run_command(args: argparse.Namespace) -> int:
    from llm_orc.lsp.server import serve

    return serve(args)
