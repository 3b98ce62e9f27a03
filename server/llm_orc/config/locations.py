"""Where configuration lives: the global folder, the project's `.llm-orc/`, and built-ins."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LOCAL_DIR_NAME = ".llm-orc"
BUILTIN_ENSEMBLES = Path(__file__).resolve().parent.parent / "ensembles"


def global_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/llm-orc`, else `~/.config/llm-orc`."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base else Path(env.get("HOME") or Path.home()) / ".config"
    return root / "llm-orc"


def find_local_dir(start: Path) -> Path | None:
    """The nearest `.llm-orc/` folder at or above START."""
    current = start.resolve()
    for folder in (current, *current.parents):
        candidate = folder / LOCAL_DIR_NAME
        if _is_dir(candidate):
            return candidate
    return None


def _is_dir(path: Path) -> bool:
    """PATH is a folder; one that cannot even be looked at counts as one, so that reading it
    reports why (a skipped folder would be silent)."""
    try:
        return path.is_dir()
    except OSError:
        return True


@dataclass(frozen=True, slots=True)
class ConfigTier:
    """One layer of configuration: `global` or `local`, rooted at a folder."""

    name: str
    root: Path


@dataclass(frozen=True, slots=True)
class ConfigLocations:
    """The configuration folders in effect for a working directory."""

    global_dir: Path
    local_dir: Path | None

    @classmethod
    def discover(
        cls, start: Path | None = None, env: Mapping[str, str] | None = None
    ) -> ConfigLocations:
        global_dir = global_config_dir(env)
        local_dir = find_local_dir(start or Path.cwd())
        if local_dir is not None and local_dir.resolve() == global_dir.resolve():
            local_dir = None
        return cls(global_dir=global_dir, local_dir=local_dir)

    def tiers(self) -> list[ConfigTier]:
        """Existing tiers in load order: global first, then local (later wins)."""
        found = [ConfigTier("global", self.global_dir)]
        if self.local_dir is not None:
            found.append(ConfigTier("local", self.local_dir))
        return [tier for tier in found if _is_dir(tier.root)]
