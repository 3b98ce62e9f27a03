"""`llm-orc`: the command-line entry point. Parses arguments and dispatches to one module per
command; each command module is imported only when it runs, so `--help` stays fast."""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections.abc import Sequence

from llm_orc import __version__
from llm_orc.cli import take_back_interrupts

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_COMMANDS = {
    "invoke": "llm_orc.cli.invoke",
    "validate": "llm_orc.cli.validate",
    "plan": "llm_orc.cli.plan",
    "list-ensembles": "llm_orc.cli.listing",
    "list-profiles": "llm_orc.cli.listing",
    "init": "llm_orc.cli.init",
    "config": "llm_orc.cli.config_show",
    "providers": "llm_orc.cli.providers",
    "lsp": "llm_orc.cli.lsp",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llm-orc",
        description="Run ensembles of LLM agents: validate them, plan them, invoke them.",
    )
    parser.add_argument("--version", action="version", version=f"llm-orc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    invoke = commands.add_parser(
        "invoke",
        help="run an ensemble on an input",
        description="Run ENSEMBLE (a name or a .yaml path). The input is INPUT (before or after "
        "the options) or --input, "
        "followed by the content of -f FILE or of standard input when piped; without any, "
        "the ensemble's default_task.",
    )
    invoke.add_argument("ensemble", metavar="ENSEMBLE")
    invoke.add_argument("input", metavar="INPUT", nargs="?", help="the input text")
    invoke.add_argument("--input", dest="input_option", metavar="TEXT", help="the input text")
    invoke.add_argument("-f", "--file", metavar="FILE", help="read input material from FILE")
    invoke.add_argument(
        "-o",
        "--output-format",
        metavar="FORMAT",
        type=_output_format,
        help="rich: live view then the answer (default on a terminal); text: only the final "
        "answer (default in a pipe); json: the result document; jsonl: every event as one JSON "
        "line as it happens; markdown: a report; template: --template FILE; or a format a "
        "plugin adds",
    )
    invoke.add_argument(
        "--template",
        metavar="FILE",
        help="render the result document with this Jinja2 template (implies -o template)",
    )
    invoke.add_argument("--max-concurrency", type=_positive_int, metavar="N")
    invoke.add_argument("--timeout", type=_positive_float, metavar="SECONDS")
    invoke.add_argument(
        "--max-cost",
        type=_positive_dollars,
        metavar="USD",
        help="the run's budget in US dollars (overrides the ensemble's max_cost): once spent, "
        "no agent starts and running ones are cancelled",
    )

    validate = commands.add_parser(
        "validate",
        help="check ensemble files",
        description="Check ensembles (files, folders of them, or names; default: every ensemble "
        "found) and print "
        "path:line:col: severity[code]: message for each problem. Exit 1 on errors.",
    )
    validate.add_argument("targets", metavar="FILE|DIR|NAME", nargs="*")

    plan = commands.add_parser("plan", help="show an ensemble's dependency graph")
    plan.add_argument("ensemble", metavar="ENSEMBLE")

    commands.add_parser("list-ensembles", help="list the ensembles found")
    commands.add_parser("list-profiles", help="list the model profiles in effect")

    init = commands.add_parser("init", help="create .llm-orc/ here with example ensembles")
    init.add_argument("--force", action="store_true", help="overwrite example files")

    lsp = commands.add_parser(
        "lsp",
        help="start the language server (stdio by default)",
        description=(
            "Serve the Language Server Protocol: diagnostics, completion, hover, navigation "
            "and running ensembles from any LSP editor."
        ),
    )
    from llm_orc.lsp.arguments import add_arguments

    add_arguments(lsp)

    config = commands.add_parser("config", help="inspect configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="SUBCOMMAND")
    config_commands.required = True
    config_commands.add_parser(
        "show", help="print the effective configuration and where each value came from"
    )
    _readiness_arguments(
        config_commands.add_parser("check", help="the same report as `llm-orc providers`")
    )
    _readiness_arguments(
        commands.add_parser(
            "providers",
            help="can each profile run here? provider, credentials, endpoint, price",
            description="Per profile: provider installed (and which extra installs it), "
            "credentials found (never shown), endpoint reachable (a short probe), model priced; "
            "what to do about each gap. Exit 1 when a profile an ensemble uses cannot run.",
        )
    )
    return parser


def _readiness_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "ensembles",
        metavar="ENSEMBLE",
        nargs="*",
        help="check only the profiles these use (default: every profile)",
    )
    parser.add_argument("--offline", action="store_true", help="do not probe endpoints")
    parser.add_argument(
        "-o",
        "--output-format",
        choices=("text", "json"),
        default="text",
        help="text: a report for people (default); json: one document "
        "(schema/providers.schema.json) for machines",
    )


def parse_arguments(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace:
    """Parse ARGV as people type it: `invoke ENSEMBLE -f FILE "instruction"` takes the
    instruction after an option as it does before one; anything else left over is the
    command's own usage error (its usage line, not the top-level one)."""
    args, extras = parser.parse_known_args(argv)
    if not extras:
        return args
    if args.command == "invoke" and args.input is None and not extras[0].startswith("-"):
        args.input, extras = extras[0], extras[1:]
    if extras:
        command = _subparser(parser, args.command) if args.command else None
        (command or parser).error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser | None = action.choices.get(name)
            return found
    return None


def _output_format(text: str) -> str:
    """A known output format name (entry points are read only when -o is given)."""
    from llm_orc.formatters.base import FormatterError
    from llm_orc.formatters.registry import check_formatter_name

    try:
        return check_formatter_name(text)
    except FormatterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def _positive_dollars(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of US dollars, not {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    try:
        take_back_interrupts()
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C at any point: also while parsing or importing
        print("llm-orc: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    command = args.command
    if command == "config" and args.config_command == "check":
        command = "providers"
    module = importlib.import_module(_COMMANDS[command])
    from llm_orc.errors import LlmOrcError

    try:
        code: int = module.run_command(args)
    except LlmOrcError as exc:
        from llm_orc.cli.reporting import print_error

        print_error(exc)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
