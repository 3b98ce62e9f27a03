"""Validation of ensembles and profiles files: text in, located diagnostics out.

Diagnostic codes (all errors unless marked):

- `yaml-syntax`, `empty-document`, `duplicate-key`: the YAML itself.
- `yaml-tag` (an unknown tag), `yaml-value` (a value its tag or form cannot hold: `!!int abc`,
  `!!bool name`, a 5,000-digit integer, the date 2024-13-45), `yaml-alias-limit` (aliases or
  merge keys that expand the document past `yaml_builder.EXPANSION_LIMIT` values): the document
  is not read further.
- `invalid-key`: a mapping key that is not text (`1:`, `yes:`, `null:`).
- `missing-key`, `unknown-key`, `invalid-type`, `invalid-value`: the JSON Schema.
- `ignored-key` (warning), `unsupported-feature`: keys of the public llm-orc format that are
  accepted and ignored, or not run here (marked in the schema); and any other unknown key
  that is not a near miss of a known one (a project's own metadata), which is ignored. A near
  miss (`temprature`, `depend_on`) is an `unknown-key` error with "did you mean".
- `duplicate-agent`, `missing-dependency`, `dependency-cycle`: the agent graph.
- `unknown-profile`, `unknown-provider`, `unknown-placeholder` (warning): names referred to.
- `invalid-output-schema`: an agent's `output_schema` that is not a valid JSON Schema.
- `fallback-cycle` (warning): `fallback_model_profile`s that lead back where they started
  (an agent's, or a profile's in the config files).

Reading configuration adds (`llm_orc.config`): `unreadable-file`, `unreadable-folder`,
`duplicate-ensemble` (warning).
"""

from llm_orc.validation.diagnostics import (
    Diagnostic,
    Position,
    Range,
    RelatedLocation,
    Severity,
)
from llm_orc.validation.graph_checks import find_cycles
from llm_orc.validation.validator import (
    ValidationReport,
    validate_ensemble_data,
    validate_ensemble_text,
    validate_profiles_text,
)
from llm_orc.validation.yaml_index import ParsedYaml, parse_yaml

__all__ = [
    "Diagnostic",
    "ParsedYaml",
    "Position",
    "Range",
    "RelatedLocation",
    "Severity",
    "ValidationReport",
    "find_cycles",
    "parse_yaml",
    "validate_ensemble_data",
    "validate_ensemble_text",
    "validate_profiles_text",
]
