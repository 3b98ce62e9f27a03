"""`llm-orc config show`: the effective configuration and where each value came from."""

from __future__ import annotations

import argparse

from llm_orc.cli.main import EXIT_OK
from llm_orc.cli.reporting import print_issues
from llm_orc.config.workspace import Workspace
from llm_orc.errors import display_path


def run_command(args: argparse.Namespace) -> int:
    workspace = Workspace.discover()
    locations = workspace.locations
    catalog = workspace.profile_catalog
    library = workspace.library
    print_issues([*workspace.config_issues, *library.issues])

    print("locations:")
    print(f"  global: {locations.global_dir}{'' if locations.global_dir.is_dir() else ' (absent)'}")
    print(f"  local:  {locations.local_dir or '(none found)'}")
    print("files read (in order; later files win):")
    for path in catalog.files:
        print(f"  {display_path(path)}")
    if not catalog.files:
        print("  (none)")
    print("model_profiles:")
    for name in sorted(catalog.profiles):
        profile = catalog.profiles[name]
        source = profile.source if profile.source.startswith("<") else display_path(profile.source)
        print(f"  {name}:  # from {source}")
        for key, value in profile.to_dict().items():
            print(f"    {key}: {value!r}")
    for profile in catalog.overridden:
        source = profile.source if profile.source.startswith("<") else display_path(profile.source)
        print(f"  # '{profile.name}' from {source} is overridden")
    print("ensembles:")
    for name in library.names():
        entry = library.entries[name]
        print(f"  {name}: {display_path(entry.path)} ({entry.tier})")
    for entry in library.shadowed:
        print(f"  # '{entry.name}' in {display_path(entry.path)} is shadowed")
    return EXIT_OK
