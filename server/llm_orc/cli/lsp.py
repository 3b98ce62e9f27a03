"""`llm-orc lsp`: start the language server; over stdio, say in one line why it stopped when
its input ended (or was never there) without the client's shutdown."""

from __future__ import annotations

import argparse
import os
import sys


def run_command(args: argparse.Namespace) -> int:
    from llm_orc.lsp.server import serve

    if not args.tcp and not _stdin_open():
        print(
            "llm-orc lsp: standard input is closed: an editor starts the server with a pipe on "
            "standard input (or use --tcp)",
            file=sys.stderr,
        )
        return 1
    code = serve(args)
    if code != 0 and not args.tcp:
        print(
            "llm-orc lsp: standard input ended before the client asked to shut down; exiting "
            f"with status {code}",
            file=sys.stderr,
        )
    return code


def _stdin_open() -> bool:
    try:
        os.fstat(0)
    except OSError:
        return False
    return sys.stdin is not None
