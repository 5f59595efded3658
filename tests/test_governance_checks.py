"""Governance checks in the real job: an ERROR failure blocks the publish in the same run, a WARN failure only
shows, schema drift is caught against the previous snapshot, and personal data never reaches a result."""

from __future__ import annotations

import json
import os
import uuid

import dagster as dg
import duckdb
import pytest
import yaml
from huggingface_hub import HfApi

from pipelines.run import main as run_main

RAW_PII = ("jane.roe@example.org", "203.0.113.77")
CONTACTS = ("id,name,contact\n1,Ada,jane.roe@example.org\n2,Bob,from 203.0.113.77\n3,Cy,none\n"
            "3,Cy,none\n4,Di,none\n")


@pytest.fixture
def catalog_dir(tmp_path, monkeypatch):
    folder = tmp_path / "catalog"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "contacts.csv").write_text(CONTACTS)
    (folder / "data" / "nc-rows.csv").write_text("id,license\n1,CC0-1.0\n2,CC-BY-NC-4.0\n")
    (folder / "data" / "drifting.csv").write_text("id,score\n1,0.5\n2,0.7\n3,0.9\n4,1.0\n")
    (folder / "data" / "nested-nc.jsonl").write_text(
        '{"id": 1, "meta": {"license": "CC-BY-4.0", "row_license": "CC-BY-4.0"}}\n'
        '{"id": 2, "meta": {"license": "CC-BY-NC-4.0", "row_license": "CC-BY-4.0"}}\n')
    (folder / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [
        {"id": "contacts", "title": "Contacts (fixture)", "format": "csv", "license": "CC0-1.0",
         "source": {"kind": "file", "path": "data/contacts.csv"}},
        {"id": "nc-rows", "title": "Rows licensed non-commercially (fixture)", "format": "csv",
         "license": "CC0-1.0", "source": {"kind": "file", "path": "data/nc-rows.csv"}},
        {"id": "drifting", "title": "Drifting schema (fixture)", "format": "csv", "license": "CC0-1.0",
         "key_columns": ["id"], "source": {"kind": "file", "path": "data/drifting.csv"}},
        {"id": "nested-nc", "title": "A nested row license (fixture)", "format": "jsonl", "license": "CC-BY-4.0",
         "source": {"kind": "file", "path": "data/nested-nc.jsonl"}},
    ]}))
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "drifting.yaml").write_text("governance:\n  schema_drift: {severity: ERROR}\n")
    monkeypatch.setenv("CHECK_SUITES_DIR", str(suites))
    monkeypatch.setenv("CATALOG_PATH", str(folder / "catalog.yaml"))
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("HUB_NAMESPACE", f"gov-{uuid.uuid4().hex[:8]}")
    return folder


def query(sql: str, params=()) -> list[tuple]:
    with duckdb.connect(os.environ["WAREHOUSE_PATH"], read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def results(dataset_id: str) -> dict[str, tuple]:
    """check name -> (severity, passed, observed) for the dataset's latest snapshot."""
    rows = query("SELECT r.check_name, r.severity, r.passed, r.observed FROM governance.check_results r"
                 " JOIN governance.snapshots s USING (snapshot_id) WHERE s.dataset_id = ?"
                 " ORDER BY s.created_at, r.checked_at", [dataset_id])
    return {name: (severity, passed, json.loads(observed)) for name, severity, passed, observed in rows}


def repo_exists(dataset_id: str) -> bool:
    return HfApi().repo_exists(f"{os.environ['HUB_NAMESPACE']}/{dataset_id}", repo_type="dataset")


def test_an_error_governance_failure_blocks_the_publish(catalog_dir):
    assert run_main(["--dataset", "nc-rows"]) == 0
    assert query("SELECT decision FROM governance.datasets WHERE dataset_id = 'nc-rows'") == [("publish",)]
    (checks_passed, tag), = query("SELECT checks_passed, published_tag FROM governance.snapshots"
                                  " WHERE dataset_id = 'nc-rows'")
    severity, passed, observed = results("nc-rows")["license_consistency"]
    assert (severity, passed) == ("ERROR", False)
    assert observed["sample_values"] == ["CC-BY-NC-4.0 (more restrictive: CC-BY-NC-4.0)"]
    assert checks_passed is False and tag is None
    assert not repo_exists("nc-rows")


def test_a_non_commercial_license_in_a_nested_row_field_blocks_the_publish(catalog_dir):
    assert run_main(["--dataset", "nested-nc"]) == 0
    assert query("SELECT decision FROM governance.datasets WHERE dataset_id = 'nested-nc'") == [("publish",)]
    severity, passed, observed = results("nested-nc")["license_consistency"]
    assert (severity, passed) == ("ERROR", False)
    assert observed["sample_values"] == ["CC-BY-NC-4.0 (more restrictive: CC-BY-NC-4.0)"]
    assert observed["mismatches"][0]["column"] == "meta.license"
    assert query("SELECT published_tag FROM governance.snapshots WHERE dataset_id = 'nested-nc'") == [(None,)]
    assert not repo_exists("nested-nc")


def test_warn_failures_do_not_block_and_never_store_personal_data(catalog_dir):
    assert run_main(["--dataset", "contacts"]) == 0
    found = results("contacts")
    assert {name: found[name][:2] for name in ("pii", "duplicate_rows")} == {
        "pii": ("WARN", False), "duplicate_rows": ("WARN", False)}
    assert found["pii"][2]["sample_values"] == ["contact: j***@e***.org", "contact: 203.0.*.*"]
    assert found["duplicate_rows"][2]["sample_values"] == ["rows 3 and 4"]
    (checks_passed, tag, snapshot_id), = query("SELECT checks_passed, published_tag, snapshot_id"
                                               " FROM governance.snapshots WHERE dataset_id = 'contacts'")
    assert checks_passed is True and tag == snapshot_id and repo_exists("contacts")
    stored = json.dumps(query("SELECT * FROM governance.check_results"), default=str)
    for raw in RAW_PII:
        assert raw not in stored


def test_dagster_check_results_carry_severity_and_masked_samples(catalog_dir):
    """What the checks tab reads: each evaluation in the instance's event log has a table with one row per check
    at its severity, masked samples as plain text, and no markdown where a `*` mask would become emphasis."""
    from pipelines.definitions import defs

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("datasets", ["contacts"])
        run = defs.resolve_job_def("refresh_dataset").execute_in_process(
            partition_key="contacts", instance=instance, raise_on_error=False)
        logged = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    evaluations = {e.check_name: e for e in (entry.dagster_event.event_specific_data for entry in logged)}
    warnings, blocking = evaluations["expectation_warnings"], evaluations["expectation_suite"]
    assert warnings.passed is False and warnings.severity == dg.AssetCheckSeverity.WARN
    assert blocking.passed is True and blocking.severity == dg.AssetCheckSeverity.ERROR
    for evaluation, severity in ((warnings, "WARN"), (blocking, "ERROR")):
        table = evaluation.metadata["results"]
        assert isinstance(table, dg.TableMetadataValue)
        rows = [record.data for record in table.records]
        assert len(rows) == evaluation.metadata["expectations"].value + \
            evaluation.metadata["governance_checks"].value
        assert {row["severity"] for row in rows} == {severity}
        assert not any(isinstance(entry, dg.MarkdownMetadataValue) for entry in evaluation.metadata.values())
    rows = {row.data["expectation"]: row.data for row in warnings.metadata["results"].records}
    assert (rows["pii"]["passed"], rows["duplicate_rows"]["passed"]) == (False, False)
    assert rows["pii"]["sample values (masked)"] == "contact: j***@e***.org, contact: 203.0.*.*"
    blocking_rows = {row.data["expectation"]: row.data for row in blocking.metadata["results"].records}
    assert blocking_rows["license_consistency"]["passed"] is True
    assert warnings.metadata["failed_checks"].value == "pii, duplicate_rows"
    for raw in RAW_PII:
        assert all(raw not in str(entry.value) for e in evaluations.values() for entry in e.metadata.values())


def test_schema_drift_against_the_previous_snapshot_is_caught(catalog_dir):
    assert run_main(["--dataset", "drifting"]) == 0
    (first,), = query("SELECT published_tag FROM governance.snapshots WHERE dataset_id = 'drifting'")
    assert results("drifting")["schema_drift"][1] is True
    (catalog_dir / "data" / "drifting.csv").write_text("id,score,comment\n1,high,a\n")
    assert run_main(["--dataset", "drifting"]) == 0
    found = results("drifting")
    severity, passed, observed = found["schema_drift"]
    assert (severity, passed) == ("ERROR", False)  # the suite file raised it from WARN
    assert observed["previous_snapshot"] == first
    assert observed["added"] == ["comment"] and observed["retyped"] == ["score: DOUBLE -> VARCHAR"]
    assert found["row_count_change"][:2] == ("WARN", False)  # 4 -> 1 rows: -75%, beyond the default ±50%
    tags = query("SELECT snapshot_id, checks_passed, published_tag FROM governance.snapshots"
                 " WHERE dataset_id = 'drifting' ORDER BY created_at")
    assert tags[0][2] == first and tags[1][1:] == (False, None)
