"""The nightly refresh builds a derived dataset after its inputs' runs of the same night: the schedule leaves it
out, the nightly_derived sensor launches it once those runs finished (succeeded or not), a derived one of a
derived one after that one; through the real job, DuckDB and the loopback Hub."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from assets.warehouse import Warehouse
from pipelines.definitions import defs
from pipelines.nightly import derived_waiting
from pipelines.schedules import nightly_refresh
from pipelines.sensors import nightly_derived

BUNDLED = Path(__file__).resolve().parent.parent / "catalog"


def penguins(dataset_id: str) -> dict:
    return {"id": dataset_id, "title": f"Penguins {dataset_id}", "format": "csv", "license": "CC0-1.0",
            "null_values": ["NA"], "source": {"kind": "file", "path": f"data/{dataset_id}/penguins.csv"}}


COUNTS = {"id": "penguin-counts", "title": "Penguins per input", "derived": {"query": (
    "SELECT 'penguins-a' AS input, count(*) AS penguins FROM \"penguins-a\" "
    "UNION ALL SELECT 'penguins-b', count(*) FROM \"penguins-b\" ORDER BY input")}}
TOTAL = {"id": "penguin-total", "title": "Penguins in all",
         "derived": {"query": 'SELECT sum(penguins) AS penguins FROM "penguin-counts"'}}
# The derived entries come first: the order is the inputs', not the file's.
CATALOG = [TOTAL, COUNTS, penguins("penguins-a"), penguins("penguins-b")]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    for dataset_id in ("penguins-a", "penguins-b"):
        shutil.copytree(BUNDLED / "data" / "palmer-penguins", tmp_path / "catalog" / "data" / dataset_id)
    (tmp_path / "catalog" / "catalog.yaml").write_text(yaml.safe_dump({"datasets": CATALOG}))
    monkeypatch.setenv("CATALOG_PATH", str(tmp_path / "catalog" / "catalog.yaml"))
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("HUB_NAMESPACE", f"nightly-{uuid.uuid4().hex[:8]}")
    return tmp_path


def warehouse(root: Path) -> Warehouse:
    return Warehouse(path=str(root / "warehouse.duckdb"))


def schedule_tick(instance, root: Path, day: int) -> list[dg.RunRequest]:
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 11, day, 2),
                                        resources={"warehouse": warehouse(root)},
                                        repository_def=defs.get_repository_def())
    return nightly_refresh.evaluate_tick(context).run_requests


class Sensor:
    """The nightly_derived sensor as the daemon evaluates it: each tick starts from the last tick's cursor."""

    def __init__(self, instance, root: Path):
        self.instance, self.root, self.cursor = instance, root, None

    def tick(self) -> dg.SensorExecutionData:
        # The daemon's context has the instance's ref, through which the requests' partitions are checked.
        context = dg.build_sensor_context(instance=self.instance, instance_ref=self.instance.get_ref(),
                                          cursor=self.cursor,
                                          resources={"warehouse": warehouse(self.root)},
                                          repository_def=defs.get_repository_def())
        result = nightly_derived.evaluate_tick(context)
        self.cursor = result.cursor or self.cursor
        return result


def launch(instance, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    """What the daemon does with a run request: a run of refresh_dataset with the request's partition and tags."""
    return defs.resolve_job_def("refresh_dataset").execute_in_process(
        partition_key=request.partition_key, instance=instance, tags=request.tags, raise_on_error=False)


def not_started(instance, request: dg.RunRequest) -> dg.DagsterRun:
    """The run the daemon creates for a request, before it starts."""
    return instance.create_run_for_job(defs.resolve_job_def("refresh_dataset"),
                                       status=dg.DagsterRunStatus.NOT_STARTED,
                                       tags={**request.tags, "dagster/partition": request.partition_key})


def counts(root: Path, dataset_id: str) -> list[tuple]:
    """The rows of the dataset's latest snapshot."""
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        [path] = connection.execute("SELECT parquet_path FROM governance.snapshots WHERE dataset_id = ? "
                                    "ORDER BY created_at DESC LIMIT 1", [dataset_id]).fetchone()
        return connection.execute("SELECT * FROM read_parquet(?)", [path]).fetchall()


def test_derived_datasets_wait_for_their_inputs_through_any_depth():
    inputs_of = {"counts": ("a", "b"), "total": ("counts",), "of-c": ("c",)}
    order = ["a", "b", "c", "counts", "total", "of-c"]
    assert derived_waiting(order, inputs_of, {"a"}.__contains__) == {"counts": ["a"], "total": ["counts"]}
    # An input that does not run tonight holds nothing back: its derived dataset is the schedule's to judge.
    assert derived_waiting(order, inputs_of, {"counts", "of-c"}.__contains__) == {"total": ["counts"]}
    assert derived_waiting(order, inputs_of, lambda dataset_id: False) == {}


def test_nightly_builds_derived_datasets_after_their_inputs_of_the_same_night(workspace):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("datasets", [entry["id"] for entry in CATALOG])
        sensor = Sensor(instance, workspace)
        assert sensor.tick().skip_message == "no night to follow: nightly_refresh has launched no run yet"
        first_night_inputs_then_derived_then_its_derived(instance, workspace, sensor)
        a_derived_dataset_whose_inputs_do_not_run_is_launched_by_the_schedule(instance, workspace, sensor)
        a_failed_input_leaves_its_derived_datasets_on_its_latest_vetted_snapshot(instance, workspace, sensor)
        a_failed_input_alone_gives_nothing_new_to_build(instance, workspace, sensor)


def first_night_inputs_then_derived_then_its_derived(instance, workspace: Path, sensor: Sensor) -> None:
    first = schedule_tick(instance, workspace, 24)
    assert [(r.partition_key, r.run_key) for r in first] == [
        ("penguins-a", "penguins-a-2026-11-24"), ("penguins-b", "penguins-b-2026-11-24")]
    assert {(r.tags["nightly/night"], r.tags["nightly/scheduled_runs"]) for r in first} == {("2026-11-24", "2")}
    assert launch(instance, first[0]).success
    # The tick is still creating its runs: penguins-b's may be next, so nothing derived can start yet.
    assert sensor.tick().skip_message == "night of 2026-11-24: 1 of the schedule's 2 runs exist so far"
    waiting_b = not_started(instance, first[1])
    assert sensor.tick().skip_message == ("night of 2026-11-24: waiting for inputs' runs: "
                                          "penguin-counts (on penguins-b); penguin-total (on penguin-counts)")
    instance.delete_run(waiting_b.run_id)  # that run, executed here instead
    assert launch(instance, first[1]).success

    [counts_run] = sensor.tick().run_requests
    assert (counts_run.partition_key, counts_run.run_key) == ("penguin-counts", "penguin-counts-2026-11-24")
    assert counts_run.tags["refresh/reason"] == "never refreshed"
    assert sensor.tick().skip_message.startswith("night of 2026-11-24: waiting for inputs' runs: penguin-total")
    assert launch(instance, counts_run).success
    [total_run] = sensor.tick().run_requests
    assert total_run.partition_key == "penguin-total"
    assert launch(instance, total_run).success
    assert sensor.tick().skip_message == ("night of 2026-11-24: every derived dataset waiting for its inputs "
                                          "was launched or is unchanged")
    assert counts(workspace, "penguin-counts") == [("penguins-a", 344), ("penguins-b", 344)]
    assert counts(workspace, "penguin-total") == [(688,)]


def a_derived_dataset_whose_inputs_do_not_run_is_launched_by_the_schedule(instance, workspace: Path,
                                                                           sensor: Sensor) -> None:
    document = yaml.safe_load((workspace / "catalog" / "catalog.yaml").read_text())
    document["datasets"][1]["title"] = "Penguins counted per input"  # penguin-counts: its card changes
    (workspace / "catalog" / "catalog.yaml").write_text(yaml.safe_dump(document))
    [counts_run] = schedule_tick(instance, workspace, 25)
    assert counts_run.partition_key == "penguin-counts"
    assert counts_run.tags["nightly/scheduled_runs"] == "1"
    assert launch(instance, counts_run).success
    [total_run] = sensor.tick().run_requests
    assert total_run.tags["refresh/reason"] == "an input has a new vetted snapshot (or none)"
    assert launch(instance, total_run).success


def a_failed_input_leaves_its_derived_datasets_on_its_latest_vetted_snapshot(instance, workspace: Path,
                                                                              sensor: Sensor) -> None:
    source = workspace / "catalog" / "data" / "penguins-a" / "penguins.csv"
    source.write_text(source.read_text() + source.read_text().splitlines()[1] + "\n")
    (workspace / "catalog" / "data" / "penguins-b" / "penguins.csv").unlink()  # its run fails
    third = schedule_tick(instance, workspace, 26)
    assert [r.partition_key for r in third] == ["penguins-a", "penguins-b"]
    assert sensor.tick().skip_message.startswith("night of 2026-11-25")  # the night's runs do not exist yet
    assert launch(instance, third[0]).success
    assert not launch(instance, third[1]).success
    [counts_run] = sensor.tick().run_requests
    assert counts_run.run_key == "penguin-counts-2026-11-26"
    assert counts_run.tags["refresh/reason"] == (
        "an input has a new vetted snapshot (or none); tonight's run of input penguins-b (failure) did not "
        "succeed: its latest vetted snapshot is used")
    assert sensor.tick().run_requests == []  # a tick is idempotent: the request is not made twice
    assert launch(instance, counts_run).success
    assert counts(workspace, "penguin-counts") == [("penguins-a", 345), ("penguins-b", 344)]
    [total_run] = sensor.tick().run_requests
    assert launch(instance, total_run).success
    assert counts(workspace, "penguin-total") == [(689,)]


def a_failed_input_alone_gives_nothing_new_to_build(instance, workspace: Path, sensor: Sensor) -> None:
    [b_run] = schedule_tick(instance, workspace, 27)
    assert b_run.partition_key == "penguins-b"
    assert not launch(instance, b_run).success
    settled = sensor.tick()
    assert settled.run_requests == [] and settled.skip_message == (
        "night of 2026-11-27: every derived dataset waiting for its inputs was launched or is unchanged")
