"""Checks on a snapshot of several splits (one Parquet file each): every split is checked and recorded under its
name, a blocking failure on one split blocks the snapshot and is named with its split, schema drift compares
each split with the previous snapshot's same split, and an unchanged snapshot reuses its outcomes split by split.
A snapshot registered without splits is one split, `train`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from assets.ingest import raw_source
from assets.provenance import license_decision
from assets.splits import SplitFile, snapshot_splits
from assets.store import snapshot
from checks.asset_checks import snapshot_quality
from checks.governance import PreviousSnapshot, row_count_change, schema_drift, split_removed
from checks.governance_config import CheckSettings, RowCountSettings
from checks.gx_duckdb import ExpectationOutcome, run_suite_on_splits
from checks.results_table import results_table
from checks.suite import ExpectationSpec, Suite
from pipelines.definitions import defs

ROWS = "id,score\n1,0.5\n2,0.7\n3,0.9\n"
COLUMNS = [{"name": "id", "type": "BIGINT"}, {"name": "score", "type": "DOUBLE"}]


# --- the accessor -------------------------------------------------------------------------------------------


def test_a_snapshot_registered_without_splits_is_one_split_named_train():
    row = {"parquet_path": "/w/snapshots/ds/a/data.parquet", "row_count": 3, "parquet_sha256": "ab" * 32,
           "columns": json.dumps(COLUMNS), "splits": None}
    assert snapshot_splits(row) == {"train": SplitFile(Path("/w/snapshots/ds/a/data.parquet"), 3, "ab" * 32, COLUMNS)}


def test_splits_are_read_in_the_order_the_row_lists_them():
    splits = {name: {"parquet_path": f"/w/{name}.parquet", "row_count": n, "sha256": str(n),
                     "columns": COLUMNS} for name, n in (("train", 8), ("validation", 1), ("test", 2))}
    read = snapshot_splits({"parquet_path": None, "row_count": 11, "columns": "[]", "splits": json.dumps(splits)})
    assert list(read) == ["train", "validation", "test"]
    assert read["test"] == SplitFile(Path("/w/test.parquet"), 2, "2", COLUMNS)


# --- the checks, one split at a time ------------------------------------------------------------------------


def test_a_split_the_previous_snapshot_lacked_or_had_is_a_warning_naming_it():
    previous = PreviousSnapshot("ds-aaaaaaaaaaaa", None, None)
    added = schema_drift(COLUMNS, previous, CheckSettings("ERROR"), "test")
    assert (added.passed, added.severity) == (False, "WARN")  # a split added is reviewed, not blocking
    assert "'test' is new" in added.observed["observed_value"] and added.sample_values == ["+split test"]
    assert row_count_change(5, previous, RowCountSettings("WARN"), "test").passed
    gone = split_removed("validation", PreviousSnapshot("ds-aaaaaaaaaaaa", 7, COLUMNS), CheckSettings("ERROR"))
    assert (gone.passed, gone.severity, gone.name) == (False, "WARN", "schema_drift")
    assert "'validation' of ds-aaaaaaaaaaaa (7 rows) is gone" in gone.observed["observed_value"]


def test_the_results_table_names_the_split_of_each_row_when_asked():
    outcome = ExpectationOutcome("not_null:id", "expect_column_values_to_not_be_null", "id", "ERROR", False,
                                 {"unexpected_count": 1, "unexpected_percent": 50.0}, [], "test")
    table = results_table([outcome], by_split=True)
    assert [c.name for c in table.schema.columns][:2] == ["split", "expectation"]
    assert table.records[0].data["split"] == "test" and table.records[0].data["unexpected"] == "1 (50.00%)"
    assert "split" not in results_table([outcome]).records[0].data


def test_every_split_is_validated_into_one_data_docs_site(tmp_path):
    train, test = tmp_path / "train.parquet", tmp_path / "test.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3]}), train)
    pq.write_table(pa.table({"id": [4, None]}), test)
    suite = Suite("ds", (ExpectationSpec("expect_column_values_to_not_be_null", {"column": "id"}),), "test")
    runs = run_suite_on_splits({"train": train, "test": test}, suite, tmp_path / "docs")
    assert list(runs) == ["train", "test"]
    assert (runs["train"].success, runs["test"].success) == (True, False)
    assert runs["test"].outcomes[0].observed["unexpected_count"] == 1
    index = tmp_path / "docs" / "index.html"
    assert runs["train"].data_docs_index == runs["test"].data_docs_index == index
    pages = sorted((tmp_path / "docs" / "validations").rglob("*.html"))  # run name / run time / asset
    assert [(page.parts[-3], page.name) for page in pages] == [("test", "duckdb-test.html"),
                                                               ("train", "duckdb-train.html")]
    listed = index.read_text(encoding="utf-8")
    assert all(page.relative_to(tmp_path / "docs").as_posix() in listed for page in pages)


# --- in Dagster, on the warehouse ---------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    (tmp_path / "catalog" / "data").mkdir(parents=True)
    (tmp_path / "catalog" / "data" / "rows.csv").write_text(ROWS)
    (tmp_path / "catalog" / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [
        {"id": "rows", "title": "Rows (fixture)", "format": "csv", "license": "CC0-1.0", "key_columns": ["id"],
         "source": {"kind": "file", "path": "data/rows.csv"}}]}))
    (tmp_path / "suites").mkdir()
    monkeypatch.setenv("CHECK_SUITES_DIR", str(tmp_path / "suites"))
    monkeypatch.setenv("CATALOG_PATH", str(tmp_path / "catalog" / "catalog.yaml"))
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("HUB_NAMESPACE", f"splits-{uuid.uuid4().hex[:8]}")
    return tmp_path


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("datasets", ["rows"])
        yield instance


def query(root: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def make_snapshot(instance) -> str:
    """Ingest, decide and store the fixture's current file, without checks; the new snapshot's id."""
    result = dg.materialize([raw_source, license_decision, snapshot], partition_key="rows", instance=instance,
                            resources=defs.resources)
    return result.asset_materializations_for_node("snapshot")[0].metadata["snapshot_id"].value


def add_splits(root: Path, snapshot_id: str, extra: dict[str, dict]) -> None:
    """Register the snapshot as several splits: its own file as `train`, then each of `extra` (split -> columns)
    written as a Parquet file beside it."""
    (path, rows, sha256, columns), = query(root, "SELECT parquet_path, row_count, parquet_sha256, columns"
                                                 " FROM governance.snapshots WHERE snapshot_id = ?", [snapshot_id])
    splits = {"train": {"parquet_path": path, "row_count": rows, "sha256": sha256,
                        "columns": json.loads(columns)}}
    for name, data in extra.items():
        file = root / "splits" / snapshot_id / f"{name}.parquet"
        file.parent.mkdir(parents=True, exist_ok=True)
        table = pa.table(data)
        pq.write_table(table, file)
        types = {pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.string(): "VARCHAR"}
        splits[name] = {"parquet_path": str(file), "row_count": table.num_rows, "sha256": name,
                        "columns": [{"name": f.name, "type": types[f.type]} for f in table.schema]}
    with duckdb.connect(str(root / "warehouse.duckdb")) as connection:
        connection.execute("UPDATE governance.snapshots SET splits = ? WHERE snapshot_id = ?",
                           [json.dumps(splits), snapshot_id])  # not as_json: it sorts keys, the splits' order


def run_checks(instance) -> dg.ExecuteInProcessResult:
    """The snapshot's checks (the snapshot step itself finds it unchanged and rewrites nothing). A blocking
    check that fails fails its step, as in the pipeline's job: the evaluations are read from the result."""
    return dg.materialize([snapshot, snapshot_quality], partition_key="rows", instance=instance,
                          resources=defs.resources, raise_on_error=False)


def check_metadata(result, check_name: str) -> dict:
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == check_name)
    return {"passed": evaluation.passed, **{k: v.value for k, v in evaluation.metadata.items()}}


def test_a_null_key_in_one_split_blocks_the_snapshot_and_names_the_split(workspace, instance):
    snapshot_id = make_snapshot(instance)
    add_splits(workspace, snapshot_id, {"test": {"id": [10, None], "score": [0.1, 0.2]}})
    result = run_checks(instance)
    blocking = check_metadata(result, "expectation_suite")
    assert blocking["passed"] is False and blocking["failed_checks"] == "not_null:id (test)"
    assert blocking["splits"] == "train, test"
    assert (blocking["row_count/train"], blocking["row_count/test"]) == (3, 2)
    rows = [record.data for record in blocking["results"].records]
    assert [(row["split"], row["expectation"], row["passed"]) for row in rows if row["column"] == "id"] == [
        ("train", "not_null:id", True), ("train", "unique:id", True),
        ("test", "not_null:id", False), ("test", "unique:id", True)]
    assert blocking["data_docs_file"].endswith("rows/index.html")
    docs = Path(blocking["data_docs_file"]).read_text(encoding="utf-8")
    assert "validations/rows/train/" in docs and "validations/rows/test/" in docs  # one site, both splits
    recorded = query(workspace, "SELECT split, count(*), count_if(NOT passed AND severity = 'ERROR')"
                                " FROM governance.check_results WHERE snapshot_id = ? GROUP BY split ORDER BY split",
                     [snapshot_id])
    per_split = len(blocking["results"].records) // 2 + len(check_metadata(result, "expectation_warnings")
                                                            ["results"].records) // 2
    assert recorded == [("test", per_split, 1), ("train", per_split, 0)]
    assert query(workspace, "SELECT checks_passed FROM governance.snapshots WHERE snapshot_id = ?",
                 [snapshot_id]) == [(False,)]


def test_an_unchanged_snapshot_of_several_splits_reuses_its_outcomes(workspace, instance, monkeypatch):
    snapshot_id = make_snapshot(instance)
    add_splits(workspace, snapshot_id, {"test": {"id": [10, None], "score": [0.1, 0.2]}})
    first = run_checks(instance)

    def no_scan(*args, **kwargs):
        raise AssertionError("the unchanged snapshot was scanned again")

    monkeypatch.setattr("checks.asset_checks.GreatExpectations.run_suite", no_scan)
    monkeypatch.setattr("checks.asset_checks.run_governance", no_scan)
    second = run_checks(instance)
    for check_name in ("expectation_suite", "expectation_warnings"):
        reused, original = check_metadata(second, check_name), check_metadata(first, check_name)
        assert reused["reused_from_run"] == first.run_id
        assert {k: reused[k] for k in ("passed", "results", "failed_checks", "row_count/test")} == \
            {k: original[k] for k in ("passed", "results", "failed_checks", "row_count/test")}
    recorded = {(run_id, split): n for run_id, split, n in query(
        workspace, "SELECT run_id, split, count(*) FROM governance.check_results GROUP BY ALL")}
    assert recorded[(second.run_id, "train")] == recorded[(first.run_id, "train")] > 0
    assert recorded[(second.run_id, "test")] == recorded[(first.run_id, "test")] > 0


def test_schema_drift_compares_each_split_with_the_previous_snapshots_same_split(workspace, instance):
    first = make_snapshot(instance)
    add_splits(workspace, first, {"test": {"id": [10, 11], "score": [0.1, 0.2]},
                                  "extra": {"id": [20], "score": [0.3]}})
    (workspace / "catalog" / "data" / "rows.csv").write_text(ROWS + "4,0.8\n")
    second = make_snapshot(instance)
    assert second != first
    add_splits(workspace, second, {"test": {"id": [10, 11], "score": [0.1, 0.2], "comment": ["a", "b"]},
                                   "validation": {"id": [30], "score": [0.4]}})
    warnings = check_metadata(run_checks(instance), "expectation_warnings")
    assert warnings["failed_checks"] == "schema_drift (test), schema_drift (validation), schema_drift (extra)"
    rows = {(row.data["split"], row.data["expectation"]): row.data for row in warnings["results"].records}
    assert rows[("train", "schema_drift")]["passed"] is True
    assert rows[("test", "schema_drift")]["sample values (masked)"] == "+comment VARCHAR"
    assert "'validation' is new" in rows[("validation", "schema_drift")]["observed value"]
    assert "'extra' of " in rows[("extra", "schema_drift")]["observed value"]
    recorded = dict(query(workspace, "SELECT split, observed FROM governance.check_results"
                                     " WHERE snapshot_id = ? AND check_name = 'schema_drift'", [second]))
    assert json.loads(recorded["test"])["added"] == ["comment"]
    assert json.loads(recorded["test"])["previous_snapshot"] == first
    assert json.loads(recorded["extra"])["split_removed"] == "extra"


def test_a_split_without_a_key_column_fails_the_step_naming_the_split(workspace, instance):
    snapshot_id = make_snapshot(instance)
    add_splits(workspace, snapshot_id, {"test": {"ident": [10], "score": [0.1]}})
    result = run_checks(instance)
    failures = [event.event_specific_data.error.cause for event in result.all_events if event.is_step_failure]
    assert [cause.cls_name for cause in failures] == ["MissingColumnError"]
    assert f"column 'id', which split 'test' of snapshot {snapshot_id} does not have" in failures[0].message
    assert query(workspace, "SELECT count(*) FROM governance.check_results") == [(0,)]  # no check ran


def test_a_snapshot_registered_without_splits_is_checked_as_before_and_recorded_as_train(workspace, instance):
    snapshot_id = make_snapshot(instance)
    blocking = check_metadata(run_checks(instance), "expectation_suite")
    assert blocking["passed"] is True and blocking["failed_checks"] == "none"
    assert "splits" not in blocking and not any(key.startswith("row_count/") for key in blocking)
    assert "split" not in [column.name for column in blocking["results"].schema.columns]
    assert query(workspace, "SELECT DISTINCT split FROM governance.check_results WHERE snapshot_id = ?",
                 [snapshot_id]) == [("train",)]
