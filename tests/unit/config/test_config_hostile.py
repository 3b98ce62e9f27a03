"""Configuration that cannot be read is reported where it is, and one bad file affects only
itself: the other ensembles and profiles load as if it were not there."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llm_orc.config.issues import ConfigIssue
from llm_orc.config.workspace import Workspace
from llm_orc.errors import InvalidEnsembleError
from llm_orc.validation import Severity

ENSEMBLE = "name: {name}\nagents:\n  - name: a\n    model_profile: {profile}\n"
PROFILE = "  {name}: {{model: m, provider: scripted{extra}}}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def local(tmp_path: Path) -> Path:
    folder = tmp_path / "project" / ".llm-orc"
    write(folder / "ensembles" / "good.yaml", ENSEMBLE.format(name="good", profile="default"))
    return folder


def workspace(local: Path) -> Workspace:
    return Workspace.discover(local.parent)


def issues_by_file(issues: list[ConfigIssue]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in issues:
        found.setdefault(issue.path.name, []).append(issue.diagnostic.code)
    return found


@pytest.mark.parametrize(
    "poison",
    [
        "x: !!int 12345abc\n",
        "name: !!bool name\nagents: []\n",
        "name: Gr\u00f6\u00dfe\u2028\x85: [\n",
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"a{i}: &a{i} [" + ", ".join(["*a"] * 9) + "]\n" for i in range(8)),
        "name: " + "[" * 5000 + "\n",
        "!!binary x: 1\n",
    ],
)
def test_a_poisoned_ensemble_file_affects_only_itself(local: Path, poison: str) -> None:
    bad = local / "ensembles" / "poison.yaml"
    bad.write_text(poison, encoding="utf-8")
    space = workspace(local)
    assert "good" in space.library.names()
    assert space.load_ensemble("good").name == "good"
    assert "poison" in space.library.names()  # listed under its file name, to be validated
    with pytest.raises(InvalidEnsembleError):
        space.load_ensemble("poison")


def test_an_unreadable_value_in_config_yaml_disables_that_file_only(local: Path) -> None:
    write(
        local / "config.yaml", "model_profiles:\n  p: {model: m, timeout_seconds: !!bool maybe}\n"
    )
    write(
        local / "profiles" / "team.yaml", "model_profiles:\n" + PROFILE.format(name="q", extra="")
    )
    space = workspace(local)
    assert issues_by_file(space.profile_catalog.issues) == {"config.yaml": ["yaml-value"]}
    assert "q" in space.profiles and "p" not in space.profiles
    assert space.load_ensemble("good").name == "good"


def test_a_folder_named_like_a_profiles_file_is_reported(local: Path) -> None:
    (local / "profiles" / "x.yaml").mkdir(parents=True)
    write(local / "profiles" / "y.yaml", "model_profiles:\n" + PROFILE.format(name="y", extra=""))
    catalog = workspace(local).profile_catalog
    [issue] = catalog.issues
    assert issue.path.name == "x.yaml"
    assert issue.diagnostic.code == "unreadable-file"
    assert "is a folder" in issue.diagnostic.message
    assert "y" in catalog.profiles


def test_a_config_yaml_that_is_a_folder_is_reported_and_named_by_unknown_profile(
    local: Path,
) -> None:
    (local / "config.yaml").mkdir()
    write(local / "ensembles" / "uses.yaml", ENSEMBLE.format(name="uses", profile="fast"))
    space = workspace(local)
    assert issues_by_file(space.profile_catalog.issues) == {"config.yaml": ["unreadable-file"]}
    with pytest.raises(InvalidEnsembleError) as invalid:
        space.load_ensemble("uses")
    [diagnostic] = invalid.value.diagnostics
    assert diagnostic.code == "unknown-profile"
    assert "not loaded because of errors" in diagnostic.message
    assert "config.yaml" in diagnostic.message


def test_broken_links_are_reported(local: Path) -> None:
    os.symlink(local / "nowhere.yaml", local / "config.yaml")
    os.symlink(local / "nowhere.yaml", local / "ensembles" / "gone.yaml")
    space = workspace(local)
    assert issues_by_file(space.profile_catalog.issues) == {"config.yaml": ["unreadable-file"]}
    [issue] = space.library.issues
    assert issue.path.name == "gone.yaml"
    assert issue.diagnostic.severity is Severity.WARNING
    assert space.library.names().count("good") == 1


def test_a_profiles_entry_that_is_a_file_not_a_folder_is_reported(local: Path) -> None:
    write(local / "profiles", "not a folder\n")
    [issue] = workspace(local).profile_catalog.issues
    assert (issue.path.name, issue.diagnostic.code) == ("profiles", "unreadable-folder")


def _refuse_scandir(
    monkeypatch: pytest.MonkeyPatch, refused: Path
) -> Callable[[Any], Any]:  # the file system boundary: root may read any folder here
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path) == refused:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return scandir


def test_an_unreadable_profiles_folder_is_reported(
    local: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(local / "profiles" / "y.yaml", "model_profiles:\n" + PROFILE.format(name="y", extra=""))
    _refuse_scandir(monkeypatch, local / "profiles")
    [issue] = workspace(local).profile_catalog.issues
    assert (issue.path.name, issue.diagnostic.code) == ("profiles", "unreadable-folder")
    assert "Permission denied" in issue.diagnostic.message
    assert issue.is_error


def test_an_unreadable_ensembles_folder_is_reported_and_the_rest_listed(
    local: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(local / "ensembles" / "team" / "t.yaml", ENSEMBLE.format(name="t", profile="default"))
    _refuse_scandir(monkeypatch, local / "ensembles" / "team")
    library = workspace(local).library
    [issue] = library.issues
    assert (issue.path.name, issue.diagnostic.code) == ("team", "unreadable-folder")
    assert "good" in library.names() and "t" not in library.names()


def test_a_fallback_cycle_between_profiles_is_a_warning_on_each_fallback(local: Path) -> None:
    text = (
        "model_profiles:\n"
        + PROFILE.format(name="p", extra=", fallback_model_profile: q")
        + PROFILE.format(name="q", extra=", fallback_model_profile: p")
        + PROFILE.format(name="r", extra=", fallback_model_profile: r")
    )
    write(local / "config.yaml", text)
    issues = workspace(local).profile_catalog.issues
    messages = sorted(
        (i.diagnostic.range.start.line, i.diagnostic.message)
        for i in issues
        if i.diagnostic.code == "fallback-cycle"
    )
    assert [line for line, _ in messages] == [1, 2, 3]
    assert messages[0][1].startswith("fallback cycle: p -> q -> p;")
    assert messages[2][1].startswith("fallback cycle: r -> r; a profile cannot fall back")
    assert {i.diagnostic.severity for i in issues} == {Severity.WARNING}
    first = next(i for i in issues if i.diagnostic.range.start.line == 1)
    column = text.splitlines()[1].index("fallback_model_profile: q") + len(
        "fallback_model_profile: "
    )
    assert first.diagnostic.range.start.column == column


def test_an_agent_whose_fallback_leads_back_to_its_profile_gets_a_warning(local: Path) -> None:
    write(
        local / "config.yaml",
        "model_profiles:\n"
        + PROFILE.format(name="p", extra="")
        + PROFILE.format(name="q", extra=", fallback_model_profile: p"),
    )
    text = ENSEMBLE.format(name="e", profile="p") + "    fallback_model_profile: q\n"
    report = workspace(local).validate_text(text)
    [diagnostic] = report.diagnostics
    assert diagnostic.code == "fallback-cycle"
    assert diagnostic.message.startswith("fallback cycle: p -> q -> p;")
    assert (diagnostic.range.start.line, diagnostic.range.start.column) == (4, 28)
    assert report.ok


def test_an_ensembles_folder_that_cannot_be_looked_at_is_reported(
    local: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = local / "ensembles"
    real = Path.stat

    def stat(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        if self == refused:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", stat)  # the file system boundary (root reads anything)
    library = workspace(local).library
    [issue] = library.issues
    assert (issue.path.name, issue.diagnostic.code) == ("ensembles", "unreadable-folder")
    assert "Permission denied" in issue.diagnostic.message
    assert "code-review" in library.names()  # the built-in ones are still there
