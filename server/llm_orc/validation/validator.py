"""The one validator: YAML text (or data built in code) in, located diagnostics out.

The CLI (`llm-orc validate`), the loader and the language server all call these functions, so
each problem has exactly one message and one range. Pure: no file I/O, no pydantic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from llm_orc.validation.budget_checks import budget_diagnostics
from llm_orc.validation.diagnostics import Diagnostic
from llm_orc.validation.graph_checks import AgentView, agent_views, graph_diagnostics
from llm_orc.validation.json_values import non_json_diagnostics
from llm_orc.validation.output_schema_checks import output_schema_diagnostics
from llm_orc.validation.references import (
    agent_option_diagnostics,
    fallback_diagnostics,
    placeholder_diagnostics,
    profile_diagnostics,
    profiles_file_provider_diagnostics,
    provider_diagnostics,
)
from llm_orc.validation.schema_errors import item_check, schema_diagnostics
from llm_orc.validation.yaml_index import ParsedYaml, SourceMap, parse_yaml

if TYPE_CHECKING:
    from llm_orc.config.profiles import ModelProfile
    from llm_orc.validation.yaml_splice import SpliceState

_AGENTS = "agents"
_ENSEMBLE_NOUNS = {_AGENTS: "agent"}
_PROFILES_NOUNS = {"model_profiles": "profile"}


@dataclass(frozen=True)
class ValidationReport:
    diagnostics: list[Diagnostic]
    """Every problem found, sorted by where it starts."""
    data: Any
    """The constructed Python document; None if the YAML did not parse or was empty."""
    source: SourceMap = field(default_factory=SourceMap.without_positions)
    """Where each path of DATA is written (for checks that span files, such as fallbacks)."""
    waits_for_prices: bool = False
    """True when a check that needs the price table was left out because the table was not
    loaded yet (asked with `wait_for_prices=False`): validate again once it is
    (`llm_orc.pricing.table.load_table`)."""
    views: list[AgentView] | None = field(default=None, compare=False, repr=False)
    """The agents the checks looked at, kept for the checks that follow (see `agents`)."""
    splice: SpliceState | None = field(default=None, compare=False, repr=False)
    """What the next validation of an edited version of this text can reuse (`previous`)."""

    @property
    def agents(self) -> list[AgentView]:
        """DATA's agent mappings (read once per validation, for every check)."""
        return agent_views(self.data) if self.views is None else self.views

    @property
    def errors(self) -> list[Diagnostic]:
        return [diagnostic for diagnostic in self.diagnostics if diagnostic.is_error]

    @property
    def ok(self) -> bool:
        """True when there are no error-severity diagnostics (warnings allowed)."""
        return not any(diagnostic.is_error for diagnostic in self.diagnostics)


def validate_ensemble_text(
    text: str,
    *,
    profiles: Mapping[str, ModelProfile] | None = None,
    providers: Collection[str] | None = None,
    unloaded: Sequence[str] = (),
    wait_for_prices: bool = True,
    previous: ValidationReport | None = None,
    for_edits: bool = False,
) -> ValidationReport:
    """Check an ensemble file's text.

    PROFILES (the profiles in effect) enables the unknown-profile checks and PROVIDERS (usually
    `llm_orc.providers.registry.provider_names()`) the unknown-provider checks; None skips them.
    UNLOADED names the configuration files whose profiles could not be loaded, which an
    unknown-profile message then mentions (the profile may be defined there). Without
    WAIT_FOR_PRICES, checks that need the price table while it is not loaded are left out
    (the report's `waits_for_prices` says so) instead of importing it on this thread.
    PREVIOUS, the report (made with FOR_EDITS) on the text before an edit, lets the parse
    reuse the agents the edit did not touch (`yaml_splice`): the report is the same as
    without it. FOR_EDITS (implied by PREVIOUS) keeps in the report what the next edit reuses.
    """
    if previous is None and not for_edits:
        parsed, splice = parse_yaml(text), None
    else:
        # Only an editor validates edits: `llm-orc validate` never loads the splice.
        from llm_orc.validation.yaml_splice import parse_edit

        parsed, splice = parse_edit(text, previous.splice if previous else None)
    own = splice if splice is not None and splice.parsed is parsed else None
    if own is not None:  # the state of this very text (not one carried over from before)
        valid = _valid_agents(parsed.data[_AGENTS], own.valid_agents)
        splice = own = replace(own, valid_agents=valid)
    report = _checked(parsed, profiles, providers, unloaded, wait_for_prices, own)
    return report if splice is None else replace(report, splice=splice)


def _valid_agents(agents: list[Any], known: frozenset[int]) -> frozenset[int]:
    """id() of the AGENTS that pass the schema's agent check: those in KNOWN (checked by the
    validation before, and the same objects) without checking them again."""
    check = item_check("ensemble", _AGENTS)
    if check is None:
        return frozenset()
    return frozenset(id(agent) for agent in agents if id(agent) in known or check(agent))


def _checked(
    parsed: ParsedYaml,
    profiles: Mapping[str, ModelProfile] | None,
    providers: Collection[str] | None,
    unloaded: Sequence[str],
    wait_for_prices: bool,
    splice: SpliceState | None,
) -> ValidationReport:
    if not parsed.has_document:
        return _report(parsed.diagnostics, None, parsed.source)
    agents = agent_views(parsed.data)
    found, waits = _ensemble_diagnostics(
        parsed.data,
        agents,
        parsed.source,
        profiles,
        providers,
        unloaded,
        finite=parsed.finite,
        wait_for_prices=wait_for_prices,
        valid_agents=splice.valid_agents if splice else frozenset(),
    )
    report = _report([*parsed.diagnostics, *found], parsed.data, parsed.source, agents)
    return replace(report, waits_for_prices=True) if waits else report


def validate_ensemble_data(
    data: Any,
    *,
    profiles: Mapping[str, ModelProfile] | None = None,
    providers: Collection[str] | None = None,
    schema_valid: bool = False,
) -> ValidationReport:
    """The same checks for an ensemble built in code; every range is 0:0-0:0. SCHEMA_VALID:
    DATA is known to match the schema (`Ensemble.schema_valid_document`), so that one check
    is left out."""
    source = SourceMap.without_positions()
    agents = agent_views(data)
    found, _ = _ensemble_diagnostics(
        data, agents, source, profiles, providers, (), check_schema=not schema_valid
    )
    return _report(found, data, source, agents)


def validate_profiles_text(
    text: str, *, providers: Collection[str] | None = None
) -> ValidationReport:
    """Check a config.yaml or profiles/*.yaml file's text (PROVIDERS as for ensembles)."""
    parsed = parse_yaml(text)
    if not parsed.has_document:
        return _report(parsed.diagnostics, None, parsed.source)
    found = schema_diagnostics(
        "profiles",
        parsed.data,
        parsed.source,
        root_noun="the profiles file",
        item_nouns=_PROFILES_NOUNS,
    )
    if providers is not None:
        found += profiles_file_provider_diagnostics(parsed.data, parsed.source, providers)
    if not parsed.finite:
        found += non_json_diagnostics(parsed.data, parsed.source)
    return _report([*parsed.diagnostics, *found], parsed.data, parsed.source)


def _ensemble_diagnostics(
    data: Any,
    agents: list[AgentView],
    source: SourceMap,
    profiles: Mapping[str, ModelProfile] | None,
    providers: Collection[str] | None,
    unloaded: Sequence[str],
    *,
    finite: bool = False,
    wait_for_prices: bool = True,
    valid_agents: frozenset[int] = frozenset(),
    check_schema: bool = True,
) -> tuple[list[Diagnostic], bool]:
    """Every check of an ensemble document (FINITE: its YAML holds no NaN or infinity;
    VALID_AGENTS: id() of agent mappings known to pass the schema; CHECK_SCHEMA false: it is
    known to match the schema), and whether a check was left out until the price table is
    loaded."""
    waits = False
    out = (
        schema_diagnostics(
            "ensemble",
            data,
            source,
            root_noun="the ensemble",
            item_nouns=_ENSEMBLE_NOUNS,
            valid_items=valid_agents,
        )
        if check_schema
        else []
    )
    out += graph_diagnostics(agents, source)
    if profiles is not None:
        out += profile_diagnostics(agents, source, profiles, providers, unloaded)
        out += fallback_diagnostics(agents, source, profiles)
        budget, waits = budget_diagnostics(
            data, agents, source, profiles, wait_for_prices=wait_for_prices
        )
        out += budget
    if providers is not None:
        out += provider_diagnostics(agents, source, providers)
        out += agent_option_diagnostics(agents, source, profiles, providers)
    out += placeholder_diagnostics(agents, source)
    out += output_schema_diagnostics(agents, source)
    if not finite:
        out += non_json_diagnostics(data, source)
    return out, waits


def _report(
    diagnostics: list[Diagnostic],
    data: Any,
    source: SourceMap,
    agents: list[AgentView] | None = None,
) -> ValidationReport:
    """Sorted, without repeats, and every range inside the text (an editor can show each)."""
    unique = [_inside(diagnostic, source) for diagnostic in dict.fromkeys(diagnostics)]
    unique.sort(key=lambda diagnostic: (diagnostic.range.start, diagnostic.range.end))
    return ValidationReport(unique, data, source, views=agents)


def _inside(diagnostic: Diagnostic, source: SourceMap) -> Diagnostic:
    range_ = source.clamp(diagnostic.range)
    related = tuple(replace(other, range=source.clamp(other.range)) for other in diagnostic.related)
    if range_ is diagnostic.range and all(
        new.range is old.range for new, old in zip(related, diagnostic.related, strict=True)
    ):
        return diagnostic
    return replace(diagnostic, range=range_, related=related)
