"""The agent graph: duplicate names, missing dependencies and cycles (every edge flagged)."""

from __future__ import annotations

from diagnostic_asserts import assert_diag, assert_only, span
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_orc.validation import find_cycles, validate_ensemble_text


def test_duplicate_agent_on_the_second_name_with_the_first_related() -> None:
    text = "name: x\nagents:\n  - name: writer\n  - name: critic\n  - name: writer\n"
    report = validate_ensemble_text(text)
    assert_only(report, "duplicate-agent")
    diagnostic = assert_diag(report, "duplicate-agent", (4, 10, 4, 16))
    assert diagnostic.message == (
        "duplicate agent name 'writer' (first on line 3); agent names must be unique"
    )
    assert [span(r.range) for r in diagnostic.related] == [(2, 10, 2, 16)]


def test_missing_dependency_on_the_item_with_did_you_mean() -> None:
    text = "name: x\nagents:\n  - name: reviewer\n  - name: b\n    depends_on: [revewer]\n"
    report = validate_ensemble_text(text)
    assert_only(report, "missing-dependency")
    diagnostic = assert_diag(report, "missing-dependency", (4, 17, 4, 24))
    assert diagnostic.message == (
        "depends_on names 'revewer', which is not an agent of this ensemble; "
        "did you mean 'reviewer'?"
    )


def test_missing_dependency_in_the_long_form_goes_on_the_agent_name_value() -> None:
    text = "name: x\nagents:\n  - name: a\n    depends_on:\n      - agent_name: zzz\n"
    report = validate_ensemble_text(text)
    diagnostic = assert_diag(report, "missing-dependency", (4, 20, 4, 23))
    assert "did you mean" not in diagnostic.message


def test_cycle_flags_every_edge_with_the_whole_path() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: a\n"  # 2
        "    depends_on: [b]\n"  # 3
        "  - name: b\n"  # 4
        "    depends_on: [ok, c]\n"  # 5
        "  - name: c\n"  # 6
        "    depends_on: [a]\n"  # 7
        "  - name: ok\n"  # 8
    )
    report = validate_ensemble_text(text)
    assert_only(report, "dependency-cycle", "dependency-cycle", "dependency-cycle")
    a_to_b = assert_diag(report, "dependency-cycle", (3, 17, 3, 18))
    b_to_c = assert_diag(report, "dependency-cycle", (5, 21, 5, 22))
    c_to_a = assert_diag(report, "dependency-cycle", (7, 17, 7, 18))
    for diagnostic in (a_to_b, b_to_c, c_to_a):
        assert diagnostic.message == "dependency cycle: a -> b -> c -> a"
    # Related: the names of the other agents in the cycle.
    assert [span(r.range) for r in a_to_b.related] == [(4, 10, 4, 11), (6, 10, 6, 11)]
    assert [r.message for r in a_to_b.related] == ["'b' depends on 'c'", "'c' depends on 'a'"]
    assert [span(r.range) for r in c_to_a.related] == [(2, 10, 2, 11), (4, 10, 4, 11)]


def test_self_dependency_is_a_cycle() -> None:
    text = "name: x\nagents:\n  - name: a\n    depends_on:\n      - agent_name: a\n"
    report = validate_ensemble_text(text)
    diagnostic = assert_diag(report, "dependency-cycle", (4, 20, 4, 21))
    assert diagnostic.message == "dependency cycle: a -> a"
    assert diagnostic.related == ()


def test_two_cycles_through_one_agent_flag_each_edge_once() -> None:
    text = (
        "name: x\n"
        "agents:\n"
        "  - name: hub\n"  # 2
        "    depends_on: [x, y]\n"  # 3
        "  - name: x\n"  # 4
        "    depends_on: [hub]\n"  # 5
        "  - name: y\n"  # 6
        "    depends_on: [hub]\n"  # 7
    )
    report = validate_ensemble_text(text)
    assert_only(report, *["dependency-cycle"] * 4)
    assert assert_diag(report, "dependency-cycle", (3, 17, 3, 18)).message == (
        "dependency cycle: hub -> x -> hub"
    )
    assert assert_diag(report, "dependency-cycle", (3, 20, 3, 21)).message == (
        "dependency cycle: hub -> y -> hub"
    )
    assert_diag(report, "dependency-cycle", (5, 17, 5, 20))
    assert_diag(report, "dependency-cycle", (7, 17, 7, 20))


def test_acyclic_diamond_is_fine() -> None:
    text = (
        "name: x\nagents:\n  - name: a\n  - {name: b, depends_on: [a]}\n"
        "  - {name: c, depends_on: [a]}\n  - {name: d, depends_on: [b, c]}\n"
    )
    assert validate_ensemble_text(text).diagnostics == []


def test_find_cycles_on_plain_mappings() -> None:
    assert find_cycles({"a": ["b"], "b": ["c"], "c": []}) == []
    assert find_cycles({"a": ["b"], "b": ["c"], "c": ["a"]}) == [("a", "b", "c")]
    assert find_cycles({"c": ["a"], "a": ["b"], "b": ["c"]}) == [("c", "a", "b")]
    assert find_cycles({"a": ["a"]}) == [("a",)]
    assert find_cycles({"a": ["missing"], "b": []}) == []


def test_find_cycles_covers_every_edge_of_a_strongly_connected_group() -> None:
    graph = {"a": ["b", "c"], "b": ["a", "c"], "c": ["a"], "d": ["a"]}
    cycles = find_cycles(graph)
    assert cycles == [("a", "b"), ("a", "c"), ("a", "b", "c")]
    edges = {(c[i], c[(i + 1) % len(c)]) for c in cycles for i in range(len(c))}
    assert edges == {("a", "b"), ("a", "c"), ("b", "a"), ("b", "c"), ("c", "a")}


def test_find_cycles_handles_long_chains_without_recursion_limits() -> None:
    names = [f"n{i}" for i in range(5000)]
    graph = {
        name: [names[i + 1]] if i + 1 < len(names) else [names[0]] for i, name in enumerate(names)
    }
    [cycle] = find_cycles(graph)
    assert len(cycle) == 5000
    assert cycle[0] == "n0"


_NAMES = ("a", "b", "c", "d", "e", "f")


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(_NAMES),
        st.lists(st.sampled_from((*_NAMES, "missing")), max_size=4),
        max_size=len(_NAMES),
    )
)
def test_find_cycles_reports_exactly_the_edges_that_lie_on_a_cycle(
    graph: dict[str, list[str]],
) -> None:
    """Against brute force: an edge u -> v is on a cycle when v reaches u; every returned
    cycle is made of real edges, and together they cover each such edge."""

    def reaches(start: str, goal: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt == goal:
                    return True
                if nxt in graph and nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return start == goal

    on_cycle = {(u, v) for u, vs in graph.items() for v in vs if v in graph and reaches(v, u)}
    cycles = find_cycles(graph)
    covered = {(c[i], c[(i + 1) % len(c)]) for c in cycles for i in range(len(c))}
    assert covered <= {(u, v) for u, vs in graph.items() for v in vs}
    assert covered == on_cycle
