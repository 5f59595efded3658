"""Per-dataset settings of the governance checks: the `governance:` section of a suite file.

Every check runs on every snapshot; the section only changes a check's severity and thresholds. Defaults
follow what a steward needs to stop: a license problem or a CSV header that is data blocks publication
(ERROR); data changes and personal-data patterns are shown for review (WARN). The format is documented in
checks/suites/README.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from checks.pii import KINDS

SEVERITIES = ("ERROR", "WARN")


class GovernanceConfigError(ValueError):
    """The `governance:` section of a suite file is malformed (the suite loader reports it as a SuiteError)."""


@dataclass(frozen=True)
class CheckSettings:
    severity: str


@dataclass(frozen=True)
class PiiSettings(CheckSettings):
    max_fraction: float = 0.0  # of rows in one column matching one kind; above it the check fails
    kinds: tuple[str, ...] = KINDS
    exclude_columns: tuple[str, ...] = ()  # columns a steward has reviewed (e.g. a public contact address)


@dataclass(frozen=True)
class DuplicateSettings(CheckSettings):
    max_fraction: float = 0.0  # of rows that repeat an earlier row exactly


@dataclass(frozen=True)
class RowCountSettings(CheckSettings):
    max_change: float = 0.5  # relative to the previous snapshot's row count, either way


@dataclass(frozen=True)
class GovernanceConfig:
    license_consistency: CheckSettings = field(default_factory=lambda: CheckSettings("ERROR"))
    attribution_present: CheckSettings = field(default_factory=lambda: CheckSettings("ERROR"))
    csv_header: CheckSettings = field(default_factory=lambda: CheckSettings("ERROR"))
    pii: PiiSettings = field(default_factory=lambda: PiiSettings("WARN"))
    duplicate_rows: DuplicateSettings = field(default_factory=lambda: DuplicateSettings("WARN"))
    schema_drift: CheckSettings = field(default_factory=lambda: CheckSettings("WARN"))
    row_count_change: RowCountSettings = field(default_factory=lambda: RowCountSettings("WARN"))


CHECK_NAMES = tuple(f.name for f in dataclasses.fields(GovernanceConfig))
FRACTIONS = {"max_fraction"}  # settings that must lie in [0, 1]


def parse_governance(raw: object, lines: dict[str, int], where: str) -> GovernanceConfig:
    """The settings from a parsed `governance:` mapping; `lines` gives each check's line for error messages."""
    if raw is None:
        return GovernanceConfig()
    if not isinstance(raw, dict):
        raise GovernanceConfigError(f"{where}: `governance:` must map check names to their settings")
    unknown = sorted(str(name) for name in raw if name not in CHECK_NAMES)
    if unknown:
        raise GovernanceConfigError(f"{where}: unknown governance check(s) {', '.join(unknown)}; "
                                    f"known: {', '.join(CHECK_NAMES)}")
    defaults = GovernanceConfig()
    changes = {name: _settings(getattr(defaults, name), raw[name], f"{where}:{lines.get(name, '?')} ({name})")
               for name in raw}
    return dataclasses.replace(defaults, **changes)


def _settings(default: CheckSettings, raw: object, where: str) -> CheckSettings:
    if not isinstance(raw, dict):
        raise GovernanceConfigError(f"{where}: settings must be a mapping, e.g. {{severity: ERROR}}")
    allowed = [f.name for f in dataclasses.fields(default)]
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise GovernanceConfigError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    return dataclasses.replace(default, **{key: _value(key, getattr(default, key), value, where)
                                           for key, value in raw.items()})


def _value(key: str, default: object, value: object, where: str) -> object:
    """The YAML value checked against the kind of the default it replaces."""
    if key == "severity":
        severity = str(value).upper()
        if severity not in SEVERITIES:
            raise GovernanceConfigError(f"{where}: `severity:` must be ERROR or WARN, not {value!r}")
        return severity
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
                or (key in FRACTIONS and value > 1):
            limits = "between 0 and 1" if key in FRACTIONS else "a number >= 0"
            raise GovernanceConfigError(f"{where}: `{key}:` must be {limits}, not {value!r}")
        return float(value)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise GovernanceConfigError(f"{where}: `{key}:` must be a list of names")
    if key == "kinds" and set(value) - set(KINDS):
        raise GovernanceConfigError(f"{where}: unknown PII kind(s) {', '.join(sorted(set(value) - set(KINDS)))}; "
                                    f"known: {', '.join(KINDS)}")
    return tuple(value)
