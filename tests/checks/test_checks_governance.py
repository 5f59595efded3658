"""Governance checks on small Parquet files: each passes where it should and fails where it should."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import checks.governance as governance
from checks.governance import (
    DatasetRecord,
    PreviousSnapshot,
    attribution_present,
    duplicate_rows,
    license_consistency,
    open_snapshot,
    pii,
    row_count_change,
    run_governance,
    schema_drift,
)
from checks.governance_config import (
    CheckSettings,
    DuplicateSettings,
    GovernanceConfig,
    PiiSettings,
    RowCountSettings,
)
from licenses import classify

ERROR, WARN = CheckSettings("ERROR"), CheckSettings("WARN")
RAW_PII = ("john.doe@example.org", "555-123-4567", "192.168.10.20", "2001:db8:85a3::8a2e:370:7334")


def parquet(tmp_path: Path, columns: dict, name: str = "snapshot.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(pa.table(columns), path)
    return path


def decision(spdx: str, attribution_text: str = "") -> dict:
    """A governance.datasets.decision_record as the provenance step writes it (the keys the checks read)."""
    return {"license": classify(spdx).to_dict(), "attribution": attribution_text}


def dumped(outcome) -> str:
    return json.dumps({"observed": outcome.observed, "samples": outcome.sample_values}, ensure_ascii=False)


# --- license_consistency ------------------------------------------------------------------------------------


def test_the_checks_connection_has_bounded_memory_and_a_scratch_folder_removed_after(tmp_path):
    with open_snapshot(parquet(tmp_path, {"id": [1, 2]})) as table:
        limit, scratch = table.connection.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
        assert limit == "488.2 MiB" and Path(scratch).is_dir()  # 512 MB, as DuckDB shows it
    assert not Path(scratch).exists()


def test_license_consistency_passes_without_a_row_license_column(tmp_path):
    with open_snapshot(parquet(tmp_path, {"id": [1, 2]})) as table:
        outcome = license_consistency(table, classify("CC0-1.0"), ERROR)
    assert outcome.passed and outcome.observed["observed_value"] == "no row-level license column"
    assert outcome.severity == "ERROR"


def test_license_consistency_passes_when_every_row_names_the_decided_license(tmp_path):
    path = parquet(tmp_path, {"id": [1, 2, 3, 4], "License": ["CC-BY-4.0", "CC BY 4.0", None, "  "]})
    with open_snapshot(path) as table:
        outcome = license_consistency(table, classify("CC-BY-4.0"), ERROR)
    assert outcome.passed, outcome.observed
    assert outcome.observed["columns"]["License"]["blank_rows"] == 2
    assert outcome.column == "License"


@pytest.mark.parametrize(("row_value", "verdict"), [
    ("CC-BY-NC-4.0", "more restrictive"),
    ("MIT", "different license"),
    ("see the website", "unrecognised"),
])
def test_license_consistency_fails_on_a_disagreeing_row_license(tmp_path, row_value, verdict):
    path = parquet(tmp_path, {"id": [1, 2, 3], "license": ["CC-BY-4.0", row_value, row_value]})
    with open_snapshot(path) as table:
        outcome = license_consistency(table, classify("CC-BY-4.0"), ERROR)
    assert not outcome.passed
    assert [(m["value"], m["rows"], m["verdict"]) for m in outcome.observed["mismatches"]] == [(row_value, 2, verdict)]
    assert outcome.sample_values[0].startswith(f"{row_value} ({verdict}")


def test_a_more_restrictive_row_license_fails_even_when_the_dataset_is_public_domain(tmp_path):
    path = parquet(tmp_path, {"license_url": ["https://creativecommons.org/licenses/by/4.0/"]})
    with open_snapshot(path) as table:
        outcome = license_consistency(table, classify("CC0-1.0"), ERROR)
    assert not outcome.passed
    assert outcome.observed["mismatches"][0]["verdict"] == "more restrictive"


def test_a_row_may_carry_one_license_of_a_declared_expression(tmp_path):
    path = parquet(tmp_path, {"license": ["CC-BY-4.0", "ODbL-1.0", "MIT"]})
    with open_snapshot(path) as table:
        outcome = license_consistency(table, classify("CC-BY-4.0 AND ODbL-1.0"), ERROR)
    assert [m["value"] for m in outcome.observed["mismatches"]] == ["MIT"]


def test_license_consistency_fails_without_a_decision_to_compare_with(tmp_path):
    with open_snapshot(parquet(tmp_path, {"licence": ["CC0-1.0"]})) as table:
        outcome = license_consistency(table, None, ERROR)
    assert not outcome.passed and "no license decision" in outcome.observed["observed_value"]


@pytest.mark.parametrize(("columns", "path", "found_by"), [
    ({"data_license": ["CC-BY-4.0", "CC-BY-NC-4.0"]}, "data_license", "name"),
    ({"row_license": ["CC-BY-NC-4.0", "CC-BY-NC-4.0"]}, "row_license", "name"),
    ({"license_terms": ["CC BY 4.0", "Non-commercial use only."]}, "license_terms", "name"),
    ({"rowLicense": ["cc-by-nc-4.0", None]}, "rowLicense", "name"),
    ({"license.name": ["CC BY 4.0", "CC BY-NC 4.0"]}, '"license.name"', "name"),  # a column named with a dot
    ({"meta": [{"license": "CC-BY-NC-4.0", "source": "a"}, {"license": "CC-BY-4.0", "source": "b"}]},
     "meta.license", "name"),
    ({"license": [{"url": "https://creativecommons.org/licenses/by-nc/4.0/"}, None]}, "license.url", "name"),
    ({"items": [[{"license": "CC-BY-4.0"}], [{"license": "CC-BY-NC-4.0"}, None], None]}, "items[].license", "name"),
    ({"terms": ["CC BY 4.0", "https://creativecommons.org/licenses/by-nc/4.0/", "CC-BY-4.0"]}, "terms", "values"),
    ({"tags": [["CC-BY-NC-SA-4.0"], ["Creative Commons Attribution 4.0"]]}, "tags[]", "values"),
])
def test_a_non_commercial_row_license_fails_whatever_the_field_is_called(tmp_path, columns, path, found_by):
    with open_snapshot(parquet(tmp_path, {"id": list(range(len(next(iter(columns.values()))))), **columns})) as table:
        outcome = license_consistency(table, classify("CC-BY-4.0"), ERROR)
    assert not outcome.passed
    assert outcome.observed["columns"][path]["found_by"] == found_by
    assert [m["verdict"] for m in outcome.observed["mismatches"]] == ["more restrictive"]
    assert outcome.column == path


def test_text_that_only_mentions_licenses_or_names_like_license_ids_is_no_license_column(tmp_path):
    path = parquet(tmp_path, {
        "name": ["Alice", "Bob", "Carol", "Dan"],
        "description": ["The license plate was unreadable", "Renewed a driving license", "Sells software licenses",
                        "Licensed to drive in 2019"],
        "company": ["Intel", "Nokia", "Fair", "Xerox"],  # each also an SPDX id
        "is_licensed": ["yes", "no", "yes", "no"],
        "licensee": ["Acme", "Globex", "Initech", "Umbrella"],
    })
    with open_snapshot(path) as table:
        outcome = license_consistency(table, classify("CC-BY-4.0"), ERROR)
    assert outcome.passed and outcome.observed["observed_value"] == "no row-level license column"


# --- attribution_present ------------------------------------------------------------------------------------


def test_attribution_is_not_needed_for_a_public_domain_dedication():
    outcome = attribution_present(decision("CC0-1.0"), ERROR)
    assert outcome.passed and outcome.observed["attribution_required"] is False


def test_attribution_required_and_present_passes():
    outcome = attribution_present(decision("CC-BY-4.0", "Data © 2024 Example Org, CC BY 4.0"), ERROR)
    assert outcome.passed and outcome.observed["attribution_chars"] > 0


@pytest.mark.parametrize("text", ["", "   \n"])
def test_attribution_required_but_missing_fails(text):
    outcome = attribution_present(decision("CC-BY-4.0", text), ERROR)
    assert not outcome.passed
    assert "no attribution text" in outcome.observed["observed_value"]


def test_attribution_fails_without_a_decision():
    assert not attribution_present(None, ERROR).passed


# --- pii ----------------------------------------------------------------------------------------------------


@pytest.fixture
def pii_parquet(tmp_path) -> Path:
    return parquet(tmp_path, {
        "id": [1, 2, 3, 4, 5, 6],
        "note": ["write to john.doe@example.org", "call +1 555-123-4567", "from 192.168.10.20",
                 "via 2001:db8:85a3::8a2e:370:7334", "Chrome/120.0.0.0 on 2024-05-01", None],
        "species": ["Adelie", "Gentoo", "Adelie", "Gentoo", "Adelie", "Gentoo"],
        "aliases": [["x"], [], ["y", "ops: 555.123.4567"], [], [], []],
    })


def test_pii_counts_each_kind_per_text_column(pii_parquet):
    with open_snapshot(pii_parquet) as table:
        outcome = pii(table, PiiSettings("WARN"))
    assert not outcome.passed and outcome.severity == "WARN"
    assert outcome.observed["matches"] == {
        "note": {"email": 1, "phone": 1, "ipv4": 1, "ipv6": 1},  # not the version string nor the date
        "aliases": {"phone": 1},  # a list of text is read as text
    }
    assert outcome.observed["unexpected_count"] == 5
    assert "species" in outcome.observed["columns_scanned"] and "id" not in outcome.observed["columns_scanned"]


def test_pii_samples_are_masked_and_raw_values_never_leave_the_check(pii_parquet):
    with open_snapshot(pii_parquet) as table:
        outcome = pii(table, PiiSettings("WARN"))
    assert set(outcome.sample_values) == {
        "note: j***@e***.org", "note: +1 ***-***-**67", "note: 192.168.*.*", "note: 2001:db8:*",
        "aliases: ***.***.**67",
    }
    text = dumped(outcome)
    for raw in RAW_PII:
        assert raw not in text


def test_pii_under_the_threshold_or_in_an_excluded_column_passes(pii_parquet):
    with open_snapshot(pii_parquet) as table:
        lenient = pii(table, PiiSettings("WARN", max_fraction=0.2))  # 1 of 6 rows per column and kind
        excluded = pii(table, PiiSettings("WARN", exclude_columns=("note", "aliases")))
        emails_only = pii(table, PiiSettings("WARN", kinds=("email",), exclude_columns=("note",)))
    assert lenient.passed and lenient.observed["unexpected_count"] == 5
    assert excluded.passed and excluded.observed["matches"] == {}
    assert emails_only.passed and emails_only.observed["kinds"] == ["email"]


def test_pii_finds_nothing_in_clean_text(tmp_path):
    path = parquet(tmp_path, {"island": ["Biscoe", "Dream"], "version": ["v1.2.3.4", "1.2.3.4.5"],
                              "when": ["2024-05-01T12:30:00", "12:30:45"], "amount": ["1234567890", "1.50"]})
    with open_snapshot(path) as table:
        outcome = pii(table, PiiSettings("WARN"))
    assert outcome.passed and outcome.observed["matches"] == {}


# --- duplicate_rows -----------------------------------------------------------------------------------------


def test_duplicate_rows_counts_repeats_and_samples_positions_not_contents(tmp_path):
    path = parquet(tmp_path, {"id": [1, 2, 1, 3, 1, 2], "email": ["a@example.org", "b@example.org",
                                                                 "a@example.org", "c@example.org",
                                                                 "a@example.org", "b@example.org"]})
    with open_snapshot(path) as table:
        outcome = duplicate_rows(table, DuplicateSettings("WARN"))
        tolerant = duplicate_rows(table, DuplicateSettings("WARN", max_fraction=0.5))
    assert not outcome.passed
    assert outcome.observed["unexpected_count"] == 3  # rows 3, 5 repeat row 1; row 6 repeats row 2
    assert outcome.observed["duplicated_rows_distinct"] == 2 and outcome.observed["most_copies"] == 3
    assert outcome.sample_values == ["3 copies, first row 1, last row 5", "rows 2 and 6"]
    assert "example.org" not in dumped(outcome)
    assert tolerant.passed


def test_rows_differing_in_one_column_are_not_duplicates(tmp_path):
    path = parquet(tmp_path, {"id": [1, 1, None, None], "name": ["a", "b", None, "c"]})
    with open_snapshot(path) as table:
        outcome = duplicate_rows(table, DuplicateSettings("WARN"))
    assert outcome.passed and outcome.observed["unexpected_count"] == 0 and outcome.sample_values == []


# --- against the previous snapshot --------------------------------------------------------------------------

COLUMNS = [{"name": "id", "type": "BIGINT"}, {"name": "name", "type": "VARCHAR"}, {"name": "score", "type": "DOUBLE"}]


def previous(columns=COLUMNS, rows: int = 100) -> PreviousSnapshot:
    return PreviousSnapshot("ds-aaaaaaaaaaaa", rows, columns)


def test_schema_drift_passes_for_the_first_snapshot_and_an_unchanged_schema():
    assert schema_drift(COLUMNS, None, WARN).passed
    same = schema_drift(list(reversed(COLUMNS)), previous(), WARN)
    assert same.passed and same.observed["reordered"] is True


def test_schema_drift_reports_removed_added_and_retyped_columns():
    current = [{"name": "id", "type": "VARCHAR"}, {"name": "score", "type": "DOUBLE"},
               {"name": "comment", "type": "VARCHAR"}]
    outcome = schema_drift(current, previous(), CheckSettings("ERROR"))
    assert not outcome.passed and outcome.severity == "ERROR"
    assert outcome.observed["removed"] == ["name"] and outcome.observed["added"] == ["comment"]
    assert outcome.observed["retyped"] == ["id: BIGINT -> VARCHAR"]
    assert outcome.sample_values == ["-name", "+comment VARCHAR", "id: BIGINT -> VARCHAR"]
    assert outcome.observed["previous_snapshot"] == "ds-aaaaaaaaaaaa"


@pytest.mark.parametrize(("rows", "before", "max_change", "passed"), [
    (150, 100, 0.5, True), (151, 100, 0.5, False), (50, 100, 0.5, True), (49, 100, 0.5, False),
    (1000, 100, 10.0, True), (0, 0, 0.5, True), (5, 0, 0.5, False),
])
def test_row_count_change_against_the_configured_maximum(rows, before, max_change, passed):
    outcome = row_count_change(rows, previous(rows=before), RowCountSettings("WARN", max_change=max_change))
    assert outcome.passed is passed
    assert outcome.observed["previous_rows"] == before


def test_row_count_change_passes_for_the_first_snapshot():
    assert row_count_change(10, None, RowCountSettings("WARN")).passed


# --- all together -------------------------------------------------------------------------------------------


def test_run_governance_runs_every_check_with_the_configured_severities(pii_parquet):
    config = GovernanceConfig(schema_drift=CheckSettings("ERROR"), pii=PiiSettings("ERROR"))
    record = DatasetRecord(decision("CC0-1.0"), COLUMNS, previous(rows=6))
    outcomes = {o.name: o for o in run_governance(pii_parquet, record, config)}
    assert list(outcomes) == ["license_consistency", "attribution_present", "csv_header", "pii", "duplicate_rows",
                              "schema_drift", "row_count_change"]
    assert {name: (o.severity, o.passed) for name, o in outcomes.items()} == {
        "license_consistency": ("ERROR", True), "attribution_present": ("ERROR", True),
        "csv_header": ("ERROR", True), "pii": ("ERROR", False),
        "duplicate_rows": ("WARN", True), "schema_drift": ("ERROR", True), "row_count_change": ("WARN", True),
    }
    assert all(o.expectation_type == "governance" for o in outcomes.values())


def test_a_check_that_duckdb_cannot_run_fails_alone(pii_parquet, monkeypatch):
    def broken(table, settings):
        raise duckdb.ConversionException("Could not convert string 'x' to INT32")

    monkeypatch.setattr(governance, "pii", broken)
    outcomes = {o.name: o for o in run_governance(pii_parquet, DatasetRecord(decision("CC0-1.0"), COLUMNS, None),
                                                  GovernanceConfig())}
    assert not outcomes["pii"].passed and "Could not convert" in outcomes["pii"].observed["observed_value"]
    assert outcomes["duplicate_rows"].passed and len(outcomes) == 7


def test_the_results_table_has_one_plain_text_row_per_check_with_its_severity():
    from checks.gx_duckdb import ExpectationOutcome
    from checks.governance import outcome
    from checks.results_table import results_table

    tricky = outcome("pii", WARN, False, "a | b\nc", {"unexpected_count": 2}, ["contact: +@*q*.com", "x|y"])
    gx = ExpectationOutcome("not_null:id", "expect_column_values_to_not_be_null", "id", "ERROR", True,
                            {"element_count": 4, "unexpected_count": 0, "unexpected_percent": 0.0}, [])
    table = results_table([gx, tricky])
    assert [c.name for c in table.schema.columns][:5] == ["expectation", "kind", "column", "severity", "passed"]
    assert [record.data for record in table.records] == [
        {"expectation": "not_null:id", "kind": "Great Expectations", "column": "id", "severity": "ERROR",
         "passed": True, "observed value": "4 values, 0 null", "unexpected": "0 (0.00%)",
         "sample values (masked)": ""},
        {"expectation": "pii", "kind": "governance", "column": "", "severity": "WARN", "passed": False,
         "observed value": "a | b c", "unexpected": "2", "sample values (masked)": "contact: +@*q*.com, x|y"},
    ]
    assert results_table([]).records == []
