"""Command-line options of the language server (no pygls import: `llm-orc --help` stays fast)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="serve over stdio (the default)")
    parser.add_argument("--tcp", action="store_true", help="serve over TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=2087, help="TCP port (default 2087; 0 picks a free one)"
    )
    parser.add_argument("--log-level", default="WARNING", help="level of the log on stderr")
