"""Configuration: locations, profile merging with provenance, and the ensemble library."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llm_orc.config.locations import ConfigLocations, global_config_dir
from llm_orc.config.workspace import Workspace
from llm_orc.errors import EnsembleNotFoundError, InvalidEnsembleError

ENSEMBLE = """\
name: {name}
description: {description}
agents:
  - name: a
    model_profile: default
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".llm-orc").mkdir(parents=True)
    return root


def test_global_dir_honours_xdg_config_home_else_home(tmp_path: Path) -> None:
    assert global_config_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "llm-orc"
    assert global_config_dir({"HOME": str(tmp_path)}) == tmp_path / ".config" / "llm-orc"


def test_local_dir_is_found_walking_up(project: Path) -> None:
    deep = project / "src" / "pkg"
    deep.mkdir(parents=True)
    locations = ConfigLocations.discover(deep)
    assert locations.local_dir == (project / ".llm-orc").resolve()


def test_builtin_profiles_exist_and_default_is_local() -> None:
    workspace = Workspace.discover(Path("/"))
    profiles = workspace.profiles
    assert profiles["local"].provider == "local"
    assert profiles["default"].provider == "local"
    assert profiles["default"].model == profiles["local"].model


def test_profiles_merge_global_then_local_then_local_yaml_overrides(
    project: Path, isolated_config: Path
) -> None:
    write(
        isolated_config / "config.yaml",
        "model_profiles:\n  fast: {model: g1, provider: scripted}\n"
        "  shared: {model: g2, provider: scripted}\n",
    )
    write(isolated_config / "profiles" / "team.yaml", "name: team\nmodel: g3\nprovider: scripted\n")
    local = project / ".llm-orc"
    write(
        local / "config.yaml",
        "project: {name: demo}\nmodel_profiles:\n  shared: {model: l2, provider: scripted}\n",
    )
    write(
        local / "profiles" / "many.yaml",
        "model_profiles:\n  fast: {model: l1, provider: scripted}\n",
    )
    write(
        local / "config.local.yaml",
        "model_profiles:\n  shared: {model: override, provider: scripted}\n",
    )
    write(
        local / "profiles" / "a.local.yaml",
        "model_profiles:\n  default: {model: mine, provider: scripted}\n",
    )

    catalog = Workspace.discover(project).profile_catalog
    assert catalog.issues == []
    profiles = catalog.profiles
    assert profiles["team"].model == "g3"
    assert profiles["fast"].model == "l1"
    assert profiles["fast"].source == str(local / "profiles" / "many.yaml")
    assert profiles["shared"].model == "override"
    assert profiles["default"].model == "mine"
    order = [p.name for p in catalog.files]
    assert order[-2:] == ["config.local.yaml", "a.local.yaml"]
    assert {p.name for p in catalog.overridden} >= {"fast", "shared", "default"}


def test_cost_per_token_becomes_per_million_prices(isolated_config: Path) -> None:
    write(
        isolated_config / "config.yaml",
        "model_profiles:\n  paid: {model: m, provider: scripted, cost_per_token: 0.000002}\n",
    )
    paid = Workspace.discover(Path("/")).profiles["paid"]
    assert paid.price_per_million_input_tokens == pytest.approx(2.0)
    assert paid.price_per_million_output_tokens == pytest.approx(2.0)


def test_unreadable_and_invalid_profile_files_are_reported_not_skipped(
    isolated_config: Path,
) -> None:
    write(
        isolated_config / "profiles" / "bad.yaml",
        "model_profiles:\n  x: {model: m, temprature: 1}\n",
    )
    write(isolated_config / "profiles" / "broken.yaml", "model_profiles: [\n")
    binary = isolated_config / "profiles" / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    write(isolated_config / "profiles" / "good.yaml", "name: good\nmodel: m\nprovider: scripted\n")
    catalog = Workspace.discover(Path("/")).profile_catalog
    by_file = {(issue.path.name, issue.diagnostic.code) for issue in catalog.issues}
    assert ("bad.yaml", "unknown-key") in by_file
    assert ("broken.yaml", "yaml-syntax") in by_file
    assert ("binary.yaml", "unreadable-file") in by_file
    assert "good" in catalog.profiles
    assert "x" not in catalog.profiles


def test_ensembles_local_shadow_global_shadow_builtin(project: Path, isolated_config: Path) -> None:
    write(
        isolated_config / "ensembles" / "review.yaml",
        ENSEMBLE.format(name="code-review", description="global"),
    )
    write(
        project / ".llm-orc" / "ensembles" / "nested" / "r.yaml",
        ENSEMBLE.format(name="code-review", description="local"),
    )
    library = Workspace.discover(project).library
    entry = library.entries["code-review"]
    assert entry.tier == "local" and entry.description == "local"
    assert sorted(e.tier for e in library.shadowed if e.name == "code-review") == [
        "built-in",
        "global",
    ]
    assert library.issues == []  # overriding across tiers is intended


def test_same_name_twice_in_one_tier_is_reported_with_a_deterministic_winner(project: Path) -> None:
    folder = project / ".llm-orc" / "ensembles"
    write(folder / "b.yaml", ENSEMBLE.format(name="twin", description="second"))
    write(folder / "a.yaml", ENSEMBLE.format(name="twin", description="first"))
    library = Workspace.discover(project).library
    assert library.entries["twin"].path.name == "a.yaml"
    [issue] = [i for i in library.issues if i.diagnostic.code == "duplicate-ensemble"]
    assert issue.path.name == "b.yaml"
    assert "a.yaml" in issue.diagnostic.message


def test_a_symlinked_ensemble_is_one_ensemble(project: Path) -> None:
    folder = project / ".llm-orc" / "ensembles"
    target = write(folder / "real" / "one.yaml", ENSEMBLE.format(name="one", description="d"))
    (folder / "alias").mkdir()
    os.symlink(target, folder / "alias" / "one.yaml")
    library = Workspace.discover(project).library
    assert library.issues == []
    assert [e for e in library.shadowed if e.name == "one"] == []


def test_loading_by_name_by_path_and_errors(project: Path) -> None:
    folder = project / ".llm-orc" / "ensembles"
    write(folder / "ok.yaml", ENSEMBLE.format(name="ok", description="fine"))
    bad = write(folder / "bad.yaml", "name: bad\nagents:\n  - name: a\n    depends_on: [ghost]\n")
    workspace = Workspace.discover(project)
    assert workspace.load_ensemble("ok").agents[0].name == "a"
    assert workspace.load_ensemble(str(folder / "ok.yaml")).name == "ok"
    with pytest.raises(InvalidEnsembleError) as invalid:
        workspace.load_ensemble(str(bad))
    assert [d.code for d in invalid.value.diagnostics] == ["missing-dependency"]
    with pytest.raises(EnsembleNotFoundError) as missing:
        workspace.load_ensemble("nope")
    assert "ok" in str(missing.value)


def test_shipped_ensembles_are_valid_and_found_without_any_config() -> None:
    workspace = Workspace.discover(Path("/"))
    names = workspace.library.names()
    assert {"code-review", "explain-and-summarize", "ticket-triage"} <= set(names)
    for name in names:
        ensemble = workspace.load_ensemble(name)
        assert ensemble.agents
