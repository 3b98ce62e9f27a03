"""The agent graph: duplicate names, dependencies on agents that do not exist, and cycles."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llm_orc.validation.diagnostics import Diagnostic, RelatedLocation
from llm_orc.validation.wording import did_you_mean
from llm_orc.validation.yaml_index import Path, SourceMap


@dataclass(slots=True)
class AgentView:
    """One agent mapping of an ensemble, with what several checks read from it."""

    index: int
    """Its position in the ensemble's `agents` list."""
    body: Mapping[str, Any]
    name: str | None
    deps: list[tuple[str, Path]]
    """The names in its depends_on, each with where it is written (relative to the agent)."""

    def path(self, *rest: str | int) -> Path:
        return ("agents", self.index, *rest)


def agent_views(data: Any) -> list[AgentView]:
    """The agents of an ensemble document that are mappings (the schema reports the others)."""
    agents = data.get("agents") if isinstance(data, dict) else None
    if not isinstance(agents, list):
        return []
    views = []
    for index, body in enumerate(agents):
        if isinstance(body, dict):
            name = body.get("name")
            views.append(
                AgentView(index, body, name if isinstance(name, str) else None, _deps(body))
            )
    return views


def _deps(agent: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """Items of depends_on are names or the public format's `{agent_name: NAME}`."""
    items = agent.get("depends_on")
    if not isinstance(items, list):
        return []
    refs: list[tuple[str, Path]] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            refs.append((item, ("depends_on", index)))
        elif isinstance(item, dict) and isinstance(item.get("agent_name"), str):
            refs.append((item["agent_name"], ("depends_on", index, "agent_name")))
    return refs


def find_cycles(depends_on: Mapping[str, Iterable[str]]) -> list[tuple[str, ...]]:
    """The dependency cycles of a graph given as {name: names it depends on}.

    A cycle `(a, b, c)` means a depends on b, b on c and c on a; `(a,)` is a self-dependency.
    Every edge that lies on some cycle is on at least one returned cycle. Each cycle starts at its
    member that comes first in DEPENDS_ON, and cycles come in the order of their first edge, so
    the result is deterministic. Names that are not keys of DEPENDS_ON are ignored.
    """
    graph = {
        name: [dep for dep in dict.fromkeys(deps) if dep in depends_on]
        for name, deps in depends_on.items()
    }
    # Only a name with an edge out can be on a cycle, and only through edges to such names:
    # the search walks those (a fan-out's agents, with no dependencies, leave nothing to walk).
    leaving = {name: [dep for dep in deps if graph[dep]] for name, deps in graph.items() if deps}
    component = _cyclic_components(leaving)
    if not component:
        return []
    order = {name: index for index, name in enumerate(graph)}
    covered: set[tuple[str, str]] = set()
    cycles: list[tuple[str, ...]] = []
    for source, targets in graph.items():
        for target in targets:
            if (source, target) in covered or source not in component:
                continue
            if component[source] != component.get(target):
                continue
            back = _shortest_path(graph, target, source, component)
            members = (source, *back[:-1])
            covered.update(zip(members, (*members[1:], members[0]), strict=True))
            start = min(range(len(members)), key=lambda i: order[members[i]])
            cycles.append(members[start:] + members[:start])
    return cycles


def _cyclic_components(graph: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Tarjan's strongly connected components (iterative), keeping those that hold a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: dict[str, int] = {}
    count = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = graph[node]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1 or node in graph[node]:
                    for member in members:
                        result[member] = count
                    count += 1
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return result


def _shortest_path(
    graph: Mapping[str, Sequence[str]], start: str, goal: str, component: Mapping[str, int]
) -> list[str]:
    """Breadth-first path START ... GOAL inside their strongly connected component."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for target in graph[node]:
            if target not in previous and component.get(target) == component[start]:
                previous[target] = node
                queue.append(target)
    path = [goal]
    step = previous[goal]
    while step is not None:
        path.append(step)
        step = previous[step]
    return path[::-1]


def graph_diagnostics(agents: Sequence[AgentView], source: SourceMap) -> list[Diagnostic]:
    """duplicate-agent, missing-dependency and dependency-cycle for the agents of an ensemble."""
    out: list[Diagnostic] = []
    first: dict[str, AgentView] = {}
    for agent in agents:
        if agent.name is None:
            continue
        if agent.name not in first:
            first[agent.name] = agent
            continue
        earlier = source.value_range(first[agent.name].path("name"))
        line = source.line_number(earlier)
        where = f" (first on line {line})" if line else ""
        out.append(
            Diagnostic(
                "duplicate-agent",
                f"duplicate agent name '{agent.name}'{where}; agent names must be unique",
                source.value_range(agent.path("name")),
                related=(RelatedLocation(earlier, f"'{agent.name}' is first defined here"),),
            )
        )
    for agent in agents:
        for dep, at in agent.deps:
            if dep not in first:
                hint = did_you_mean(dep, first)
                out.append(
                    Diagnostic(
                        "missing-dependency",
                        f"depends_on names '{dep}', which is not an agent of this ensemble{hint}",
                        source.value_range(agent.path(*at)),
                    )
                )
    out.extend(_cycle_diagnostics(first, source))
    return out


def _cycle_diagnostics(first: Mapping[str, AgentView], source: SourceMap) -> list[Diagnostic]:
    """One diagnostic per edge on a cycle, on the depends_on item that makes the edge.

    With duplicate names, the first agent of a name stands for it (the duplicate is reported).
    """
    graph = {name: [dep for dep, _ in agent.deps] for name, agent in first.items()}
    cycles = find_cycles(graph)
    if not cycles:
        return []
    edge_at: dict[tuple[str, str], Path] = {}
    for name, agent in first.items():
        for dep, at in agent.deps:
            edge_at.setdefault((name, dep), agent.path(*at))
    out: list[Diagnostic] = []
    flagged: set[tuple[str, str]] = set()
    for cycle in cycles:
        message = "dependency cycle: " + " -> ".join((*cycle, cycle[0]))
        successor = dict(zip(cycle, (*cycle[1:], cycle[0]), strict=True))
        for name in cycle:
            edge = (name, successor[name])
            if edge in flagged:  # already reported with an earlier cycle through it
                continue
            flagged.add(edge)
            related = tuple(
                RelatedLocation(
                    source.value_range(first[other].path("name")),
                    f"'{other}' depends on '{successor[other]}'",
                )
                for other in cycle
                if other != name
            )
            location = source.value_range(edge_at[edge])
            out.append(Diagnostic("dependency-cycle", message, location, related=related))
    return out
