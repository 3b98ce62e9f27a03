"""`llm-orc list-ensembles` and `llm-orc list-profiles`."""

from __future__ import annotations

import argparse

from llm_orc.cli.main import EXIT_OK
from llm_orc.cli.reporting import print_issues
from llm_orc.config.workspace import Workspace
from llm_orc.errors import display_path

_TIER_LABELS = {"local": "project"}
"""The project's `.llm-orc/` is the "local" tier inside; to a user, `local` is a provider."""


def run_command(args: argparse.Namespace) -> int:
    workspace = Workspace.discover()
    if args.command == "list-profiles":
        return _profiles(workspace)
    return _ensembles(workspace)


def _ensembles(workspace: Workspace) -> int:
    library = workspace.library
    print_issues(library.issues)
    width = max((len(name) for name in library.entries), default=0)
    for name in library.names():
        entry = library.entries[name]
        tier = _TIER_LABELS.get(entry.tier, entry.tier)
        where = "" if entry.tier == "built-in" else f"  ({display_path(entry.path)})"
        print(f"{name:<{width}}  {tier:<8}  {entry.description}{where}".rstrip())
    for entry in library.shadowed:
        print(f"(shadowed: '{entry.name}' in {display_path(entry.path)})")
    return EXIT_OK


def _profiles(workspace: Workspace) -> int:
    catalog = workspace.profile_catalog
    print_issues(workspace.config_issues)
    width = max((len(name) for name in catalog.profiles), default=0)
    for name in sorted(catalog.profiles):
        profile = catalog.profiles[name]
        where = profile.source if profile.source.startswith("<") else display_path(profile.source)
        print(f"{name:<{width}}  {profile.provider}/{profile.model}  ({where})")
    return EXIT_OK
