"""The `governance:` section of a suite file: defaults, overrides and clear errors."""

from __future__ import annotations

import pytest

from checks.governance_config import GovernanceConfig
from checks.suite import SuiteError, load_suite


def load(tmp_path, text: str, key_columns=()):
    (tmp_path / "penguins.yaml").write_text(text, encoding="utf-8")
    return load_suite("penguins", key_columns, suites_dir=tmp_path)


def test_defaults_block_on_license_problems_and_warn_on_data_changes(tmp_path):
    config = load_suite("no-such-suite", suites_dir=tmp_path).governance
    severities = {name: getattr(config, name).severity for name in
                  ("license_consistency", "attribution_present", "pii", "duplicate_rows", "schema_drift",
                   "row_count_change")}
    assert severities == {"license_consistency": "ERROR", "attribution_present": "ERROR", "pii": "WARN",
                          "duplicate_rows": "WARN", "schema_drift": "WARN", "row_count_change": "WARN"}
    assert config.row_count_change.max_change == 0.5
    assert config.pii.max_fraction == 0.0 and config.pii.kinds == ("email", "phone", "ipv4", "ipv6")


def test_a_governance_section_overrides_only_what_it_names(tmp_path):
    suite = load(tmp_path, """\
expectations:
  - type: expect_table_row_count_to_be_between
    kwargs: {min_value: 1}
governance:
  schema_drift: {severity: error}
  row_count_change: {max_change: 2}
  pii: {max_fraction: 0.01, kinds: [email], exclude_columns: [contact]}
""")
    config = suite.governance
    assert config.schema_drift.severity == "ERROR"
    assert config.row_count_change.severity == "WARN" and config.row_count_change.max_change == 2.0
    assert (config.pii.max_fraction, config.pii.kinds, config.pii.exclude_columns) == (0.01, ("email",), ("contact",))
    assert config.license_consistency == GovernanceConfig().license_consistency
    assert [spec.name for spec in suite.expectations] == ["row_count"]


def test_a_file_with_only_governance_settings_keeps_the_default_expectations(tmp_path):
    suite = load(tmp_path, "governance:\n  duplicate_rows: {severity: ERROR}\n", key_columns=["id"])
    assert [spec.name for spec in suite.expectations] == ["row_count", "not_null:id", "unique:id"]
    assert suite.governance.duplicate_rows.severity == "ERROR"
    assert suite.source.endswith("penguins.yaml")


@pytest.mark.parametrize(("text", "expected"), [
    ("governance: [pii]\n", "`governance:` must map check names"),
    ("governance:\n  pi: {severity: WARN}\n", "unknown governance check(s) pi"),
    ("governance:\n  pii: WARN\n", ":2 (pii): settings must be a mapping"),
    ("governance:\n  schema_drift:\n    severity: FATAL\n", ":2 (schema_drift): `severity:` must be ERROR or WARN"),
    ("governance:\n  pii: {threshold: 3}\n", "unknown field(s) threshold; allowed: severity, max_fraction"),
    ("governance:\n  duplicate_rows: {max_fraction: 1.5}\n", "`max_fraction:` must be between 0 and 1"),
    ("governance:\n  row_count_change: {max_change: -1}\n", "`max_change:` must be a number >= 0"),
    ("governance:\n  row_count_change: {max_change: yes}\n", "`max_change:` must be a number >= 0"),
    ("governance:\n  pii: {kinds: [email, ssn]}\n", "unknown PII kind(s) ssn"),
    ("governance:\n  pii: {exclude_columns: contact}\n", "`exclude_columns:` must be a list of names"),
    ("expectations:\n  - type: expect_table_row_count_to_be_between\n    name: pii\n",
     ":2: 'pii' is the name of a governance check"),
])
def test_a_malformed_governance_section_is_refused_naming_file_line_and_field(tmp_path, text, expected):
    with pytest.raises(SuiteError) as error:
        load(tmp_path, text)
    assert expected in str(error.value)
    assert str(tmp_path / "penguins.yaml") in str(error.value)
