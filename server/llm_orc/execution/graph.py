"""The dependency graph of a valid ensemble: sinks, levels and the critical path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DependencyGraph:
    """Agents in declaration order and the names each depends on (acyclic: validated first)."""

    order: tuple[str, ...]
    depends_on: Mapping[str, tuple[str, ...]]

    @property
    def dependents(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {name: [] for name in self.order}
        for name in self.order:
            for dep in self.depends_on[name]:
                out[dep].append(name)
        return out

    def sinks(self) -> list[str]:
        """Agents no other agent depends on, in declaration order."""
        dependents = self.dependents
        return [name for name in self.order if not dependents[name]]

    def levels(self) -> list[list[str]]:
        """Agents grouped by the length of their longest dependency chain (level 0: no deps)."""
        level: dict[str, int] = {}
        for name in self.topological_order():
            deps = self.depends_on[name]
            level[name] = 1 + max((level[d] for d in deps), default=-1)
        grouped: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
        for name in self.order:
            grouped[level[name]].append(name)
        return grouped

    def topological_order(self) -> list[str]:
        remaining = {name: len(set(self.depends_on[name])) for name in self.order}
        dependents = self.dependents
        ready = [name for name in self.order if remaining[name] == 0]
        ordered: list[str] = []
        while ready:
            name = ready.pop(0)
            ordered.append(name)
            for child in dict.fromkeys(dependents[name]):
                remaining[child] -= 1
                if remaining[child] == 0:
                    ready.append(child)
        return ordered

    def critical_path(self, weights: Mapping[str, float] | None = None) -> list[str]:
        """The heaviest dependency chain (weight 1 per agent unless WEIGHTS says otherwise)."""
        best: dict[str, tuple[float, list[str]]] = {}
        for name in self.topological_order():
            weight = 1.0 if weights is None else weights.get(name, 1.0)
            chains = [best[dep] for dep in self.depends_on[name]]
            cost, path = max(chains, key=lambda c: c[0], default=(0.0, []))
            best[name] = (cost + weight, [*path, name])
        if not best:
            return []
        return max(best.values(), key=lambda c: c[0])[1]


def graph_of(names: Sequence[str], depends_on: Mapping[str, Sequence[str]]) -> DependencyGraph:
    return DependencyGraph(tuple(names), {n: tuple(depends_on.get(n, ())) for n in names})
