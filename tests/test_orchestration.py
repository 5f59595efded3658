"""Orchestration: unchanged upstream is skipped without a download, a snapshot or a commit; force overrides it;
the catalog sensor and the nightly schedule; a steward's launchpad config; what the UI shows."""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
import uuid
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from huggingface_hub import HfApi

from assets.catalog import load_catalog
from assets.fetch import RawStore, upstream_unchanged
from assets.ingest import known_source, last_fetch, raw_source
from assets.provenance import license_decision
from assets.store import snapshot
from assets.warehouse import Warehouse
from checks.data_docs import site_url
from pipelines.definitions import defs

BUNDLED = Path(__file__).resolve().parent.parent / "catalog"
PENGUINS = {"id": "penguins", "title": "Penguins", "format": "csv", "license": "CC0-1.0", "null_values": ["NA"],
            "source": {"kind": "file", "path": "data/penguins/penguins.csv"}}


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    shutil.copytree(BUNDLED / "data" / "palmer-penguins", tmp_path / "catalog" / "data" / "penguins")
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("HUB_NAMESPACE", f"orch-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("CATALOG_PATH", str(tmp_path / "catalog" / "catalog.yaml"))
    write_catalog(tmp_path, [PENGUINS])
    return tmp_path


def write_catalog(root: Path, entries: list[dict]) -> None:
    """HTTP sources here are served on loopback, which a catalog must opt in to."""
    document = {"allow_private_network": True, "datasets": entries}
    (root / "catalog" / "catalog.yaml").write_text(yaml.safe_dump(document))


def query(root: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def refresh(instance, dataset_id: str, run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    """The whole governed path for one dataset, as the UI or the schedule launches it."""
    result = defs.resolve_job_def("refresh_dataset").execute_in_process(
        partition_key=dataset_id, instance=instance, run_config=run_config or {}, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_step_failure]
    return result


def materialize(instance, assets: list, dataset_id: str, run_config: dict | None = None, **kwargs):
    return dg.materialize(assets, partition_key=dataset_id, instance=instance, resources=defs.resources,
                          run_config=run_config or {}, **kwargs)


def metadata_of(result, asset: str) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node(asset)[0].metadata.items()}


def forbid_downloads(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the source was downloaded although upstream is unchanged")

    monkeypatch.setattr(RawStore, "put_chunks", refuse)
    monkeypatch.setattr("huggingface_hub.hf_hub_download", refuse)


@pytest.fixture
def instance(workspace):
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("datasets", ["penguins"])
        yield instance


def test_unchanged_file_is_skipped_end_to_end_without_download_snapshot_or_commit(workspace, instance, monkeypatch):
    first = refresh(instance, "penguins")
    repo_id = f"{os.environ['HUB_NAMESPACE']}/penguins"
    commits = len(HfApi().list_repo_commits(repo_id, repo_type="dataset"))
    blobs = sorted(p.name for p in (workspace / "raw").rglob("*") if p.is_file())
    snapshots = query(workspace, "SELECT snapshot_id, created_at FROM governance.snapshots")

    with monkeypatch.context() as patched:
        forbid_downloads(patched)
        second = refresh(instance, "penguins")

    status = metadata_of(second, "raw_source")["status"]
    assert status.startswith("unchanged since") and "nothing downloaded" in status
    assert metadata_of(second, "snapshot")["status"].startswith("unchanged since")
    assert sorted(p.name for p in (workspace / "raw").rglob("*") if p.is_file()) == blobs
    assert query(workspace, "SELECT snapshot_id, created_at FROM governance.snapshots") == snapshots
    assert len(HfApi().list_repo_commits(repo_id, repo_type="dataset")) == commits
    runs = query(workspace, "SELECT unchanged, run_id FROM governance.sources ORDER BY checked_at")
    assert [unchanged for unchanged, _ in runs] == [False, True]
    assert runs[1][1] == second.run_id  # this run's row: downstream reads it (latest_source)
    assert_steward_sees_everything(metadata_of(second, "snapshot"))
    hub_url = metadata_of(first, "hub_release")["hub_url"]  # the Hub URL is on the publish, made once
    assert "/datasets/" in hub_url and hub_url.endswith(metadata_of(second, "snapshot")["snapshot_id"])
    parquet = Path(query(workspace, "SELECT parquet_path FROM governance.snapshots")[0][0])
    assert {path.stat().st_mode & 0o777 for path in parquet.parent.iterdir()} == {0o444}  # immutable files


def check_metadata(result, check_name: str) -> dict:
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == check_name)
    return {"passed": evaluation.passed, **{k: v.value for k, v in evaluation.metadata.items()}}


def test_unchanged_snapshot_reuses_its_check_outcomes_until_a_check_input_changes(workspace, instance,
                                                                                   monkeypatch):
    first = refresh(instance, "penguins")
    checked = check_metadata(first, "expectation_suite")
    assert checked["reused_from_run"] == "" and checked["expectations"] >= 1
    # The Data Docs link opens from the UI (http, not file://) and names the file it serves.
    assert checked["data_docs"] == site_url("penguins") and checked["data_docs"].startswith("http://")
    assert Path(checked["data_docs_file"]).is_file() and checked["data_docs_file"].endswith("penguins/index.html")

    def no_scan(*args, **kwargs):
        raise AssertionError("the unchanged snapshot was scanned again")

    with monkeypatch.context() as patched:
        patched.setattr("checks.asset_checks.GreatExpectations.run_suite", no_scan)
        patched.setattr("checks.asset_checks.run_governance", no_scan)
        second = refresh(instance, "penguins")
    for check_name in ("expectation_suite", "expectation_warnings"):
        reused, original = check_metadata(second, check_name), check_metadata(first, check_name)
        assert reused["reused_from_run"] == first.run_id
        assert {k: reused[k] for k in ("passed", "results", "failed_checks", "expectations")} == \
            {k: original[k] for k in ("passed", "results", "failed_checks", "expectations")}
    recorded = query(workspace, "SELECT run_id, count(*) FROM governance.check_results GROUP BY run_id")
    assert dict(recorded)[second.run_id] == dict(recorded)[first.run_id]  # the reusing run has its own record

    suites = workspace / "suites"
    suites.mkdir()
    (suites / "penguins.yaml").write_text(yaml.safe_dump({"expectations": [
        {"type": "expect_column_values_to_be_in_set", "severity": "WARN",
         "kwargs": {"column": "species", "value_set": ["Adelie", "Gentoo"]}}]}))
    monkeypatch.setenv("CHECK_SUITES_DIR", str(suites))
    third = check_metadata(refresh(instance, "penguins"), "expectation_warnings")
    assert third["reused_from_run"] == "" and not third["passed"]  # a new suite runs: Chinstrap is not in the set
    assert third["failed_checks"] == "in_set:species"


def assert_steward_sees_everything(metadata: dict) -> None:
    """The snapshot's materialisation carries data, license, decision and provenance."""
    assert metadata["dagster/row_count"] == 344
    assert [c.name for c in metadata["dagster/column_schema"].columns][:2] == ["species", "island"]
    assert metadata["dagster/uri"].startswith("file://") and metadata["dagster/uri"].endswith("data.parquet")
    assert "CC0-1.0" in metadata["license"] and "Obligations" in metadata["license"]
    assert metadata["decision"] == "publish"
    assert metadata["provenance"]["source"]["sha256"] == metadata["content_sha256"]


def test_force_refresh_downloads_again_and_a_changed_file_makes_a_new_snapshot(workspace, instance):
    materialize(instance, [raw_source, license_decision, snapshot], "penguins")
    forced = materialize(instance, [raw_source], "penguins",
                         {"ops": {"raw_source": {"config": {"force": True}}}})
    assert metadata_of(forced, "raw_source")["status"] == "downloaded; same bytes as the last fetch"

    source = workspace / "catalog" / "data" / "penguins" / "penguins.csv"
    source.write_text(source.read_text() + source.read_text().splitlines()[1] + "\n")
    changed = materialize(instance, [raw_source, license_decision, snapshot], "penguins")
    assert metadata_of(changed, "raw_source")["status"] == "downloaded"
    assert metadata_of(changed, "snapshot")["status"] == "new snapshot"
    assert query(workspace, "SELECT count(*) FROM governance.snapshots")[0][0] == 2


class RecordingHandler(SimpleHTTPRequestHandler):
    """A file server that remembers each request's path and status."""

    def __init__(self, *args, seen: list, **kwargs):
        self.seen = seen
        super().__init__(*args, **kwargs)

    def log_request(self, code="-", size="-"):
        self.seen.append((self.path, int(code)))

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture
def recording_server(workspace):
    seen: list = []
    handler = functools.partial(RecordingHandler, directory=str(workspace / "catalog" / "data"), seen=seen)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_unchanged_http_source_answers_304_and_nothing_is_downloaded(workspace, instance, recording_server,
                                                                     monkeypatch):
    base, seen = recording_server
    write_catalog(workspace, [{**PENGUINS, "source": {"kind": "http", "url": f"{base}/penguins/penguins.csv"}}])
    materialize(instance, [raw_source], "penguins")
    seen.clear()
    with monkeypatch.context() as patched:
        forbid_downloads(patched)
        second = materialize(instance, [raw_source], "penguins")
    assert ("/penguins/penguins.csv", 304) in seen
    assert all(status in (304, 404) for _, status in seen), seen  # no body crossed the wire
    assert metadata_of(second, "raw_source")["status"].startswith("unchanged since")
    assert upstream_probe(workspace) is True

    (workspace / "catalog" / "data" / "penguins" / "LICENSE").write_text("Creative Commons CC0 1.0 Universal\n")
    os.utime(workspace / "catalog" / "data" / "penguins" / "LICENSE", (2e9, 2e9))  # after the first fetch
    assert upstream_probe(workspace) is False
    relicensed = materialize(instance, [raw_source], "penguins")
    assert metadata_of(relicensed, "raw_source")["status"].startswith("downloaded")


def test_unchanged_hub_commit_is_not_downloaded_and_a_new_commit_is(workspace, instance, monkeypatch):
    api, repo_id = HfApi(), f"upstream-{uuid.uuid4().hex[:8]}/penguins"
    api.create_repo(repo_id, repo_type="dataset")
    folder = workspace / "catalog" / "data" / "penguins"
    api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=folder, commit_message="v1")
    write_catalog(workspace, [{**PENGUINS, "source": {"kind": "hub", "repo_id": repo_id, "path": "penguins.csv"}}])
    first = metadata_of(materialize(instance, [raw_source], "penguins"), "raw_source")
    with monkeypatch.context() as patched:
        forbid_downloads(patched)
        second = metadata_of(materialize(instance, [raw_source], "penguins"), "raw_source")
    assert second["upstream_revision"] == first["upstream_revision"]
    assert second["status"].startswith("unchanged since")
    assert upstream_probe(workspace) is True

    (folder / "NOTICE").write_text("Copyright the penguin counters, 2026\n")
    api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=folder, commit_message="v2")
    assert upstream_probe(workspace) is False
    third = metadata_of(materialize(instance, [raw_source], "penguins"), "raw_source")
    assert third["upstream_revision"] != first["upstream_revision"] and third["status"].startswith("downloaded")


def upstream_probe(workspace: Path) -> bool:
    """What the nightly schedule asks upstream, against the last recorded fetch."""
    entry = load_catalog().get("penguins")
    fetched = last_fetch(Warehouse(path=str(workspace / "warehouse.duckdb")), entry)
    return upstream_unchanged(entry, known_source(fetched))


def test_a_decision_alone_reads_the_source_the_last_run_found_even_when_upstream_went_back(workspace, instance):
    folder = workspace / "catalog" / "data" / "penguins"
    shutil.copy(folder / "penguins.csv", folder / "other.csv")
    (folder / "other.csv").write_text((folder / "other.csv").read_text() + "Adelie,Dream,40,18,190,4000,male,2009\n")
    first = metadata_of(materialize(instance, [raw_source], "penguins"), "raw_source")["sha256"]
    write_catalog(workspace, [{**PENGUINS, "source": {"kind": "file", "path": "data/penguins/other.csv"}}])
    materialize(instance, [raw_source], "penguins")
    write_catalog(workspace, [PENGUINS])
    back = metadata_of(materialize(instance, [raw_source], "penguins"), "raw_source")
    assert back["status"].startswith("unchanged since") and back["sha256"] == first

    materialize(instance, [license_decision], "penguins")  # a steward re-deciding, without raw_source
    record = json.loads(query(workspace, "SELECT decision_record FROM governance.datasets")[0][0])
    assert record["source_sha256"] == first


def steward(**config) -> dict:
    return {"ops": {"license_decision": {"config": config}}}


def test_steward_sign_off_releases_a_quarantine_and_holds_for_the_same_bytes(workspace, instance):
    write_catalog(workspace, [{**PENGUINS, "license": None}])
    (workspace / "catalog" / "data" / "penguins" / "LICENSE").unlink()
    decide = [raw_source, license_decision]
    assert metadata_of(materialize(instance, decide, "penguins"), "license_decision")["decision"] == "quarantine"

    unnamed = materialize(instance, decide, "penguins", steward(signed_off_by="Ada Steward",
                                                                reason="CC0 confirmed by the authors"))
    assert metadata_of(unnamed, "license_decision")["decision"] == "quarantine"  # which license, it does not say
    released = materialize(instance, decide, "penguins", steward(signed_off_by="Ada Steward", license="CC0-1.0",
                                                                 reason="CC0 confirmed by the authors"))
    assert metadata_of(released, "license_decision")["decision"] == "publish"
    assert metadata_of(released, "license_decision")["license_spdx"] == "CC0-1.0"
    record = query(workspace, "SELECT decision_record FROM governance.datasets")[0][0]
    materialize(instance, decide, "penguins", steward(signed_off_by="Ada Steward", license="CC0-1.0",
                                                      reason="CC0 confirmed by the authors"))  # re-executed as is
    assert query(workspace, "SELECT decision_record FROM governance.datasets")[0][0] == record  # same snapshot id
    nightly = materialize(instance, decide, "penguins")  # no config: the recorded sign-off still holds
    assert metadata_of(nightly, "license_decision")["sign_off"]["who"] == "Ada Steward"
    record = json.loads(query(workspace, "SELECT decision_record FROM governance.datasets")[0][0])
    assert record["steward_override"]["reason"] == "CC0 confirmed by the authors"

    withdrawn = materialize(instance, decide, "penguins", steward(withdraw=True, signed_off_by="Ada Steward",
                                                                  reason="authors retracted"))
    assert metadata_of(withdrawn, "license_decision")["decision"] == "quarantine"


def config_error(result) -> str:
    """The message a steward reads first for a failed step: the error itself, with no cause beneath it."""
    [failure] = [event for event in result.all_events if event.is_step_failure]
    error, failure_data = failure.step_failure_data.error, failure.step_failure_data.user_failure_data
    assert failure_data is not None and error.cause is None and failure_data.description in error.message
    return failure_data.description


def test_sign_off_never_releases_a_blocked_license_and_a_policy_override_needs_one(workspace, instance):
    write_catalog(workspace, [{**PENGUINS, "license": "CC-BY-NC-4.0"}])
    (workspace / "catalog" / "data" / "penguins" / "LICENSE").unlink()
    decide = [raw_source, license_decision]
    signed = materialize(instance, decide, "penguins", steward(signed_off_by="Ada", reason="we need it"))
    assert metadata_of(signed, "license_decision")["decision"] == "blocked"
    assert "does not apply" in metadata_of(signed, "license_decision")["reasons"]

    unsigned = materialize(instance, decide, "penguins", steward(policy="research"), raise_on_error=False)
    assert not unsigned.success
    assert config_error(unsigned) == ("penguins: launchpad config of license_decision: a steward override needs "
                                      "signed_off_by and reason: who signs it off and why")
    unknown = materialize(instance, decide, "penguins", steward(policy="nope", signed_off_by="Ada", reason="try"),
                          raise_on_error=False)
    assert config_error(unknown).startswith("penguins: launchpad config of license_decision: policy 'nope': no "
                                            "license policy 'nope'; available: ")
    research = materialize(instance, decide, "penguins", steward(policy="research", signed_off_by="Ada",
                                                                 reason="internal research catalog"))
    assert metadata_of(research, "license_decision")["decision"] == "publish"
    assert metadata_of(research, "license_decision")["policy"] == "research"


def test_catalog_sensor_follows_catalog_changes(workspace):
    from pipelines.sensors import catalog_sensor

    with dg.instance_for_test() as instance:
        def sync() -> dg.SensorResult:
            result = catalog_sensor(dg.build_sensor_context(instance=instance))
            for request in result.dynamic_partitions_requests or []:  # what the daemon does with them
                if isinstance(request, dg.AddDynamicPartitionsRequest):
                    instance.add_dynamic_partitions("datasets", list(request.partition_keys))
                else:
                    for key in request.partition_keys:
                        instance.delete_dynamic_partition("datasets", key)
            return result

        sync()
        assert instance.get_dynamic_partitions("datasets") == ["penguins"]
        assert sync().dynamic_partitions_requests == []  # in step: nothing to do
        write_catalog(workspace, [{**PENGUINS, "id": "penguins-v2"}])
        sync()
        assert instance.get_dynamic_partitions("datasets") == ["penguins-v2"]


def nightly_tick(instance, workspace: Path) -> dg.ScheduleExecutionData:
    from pipelines.schedules import nightly_refresh

    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 11, 24, 2),
                                        resources={"warehouse": Warehouse(path=str(workspace / "warehouse.duckdb"))},
                                        repository_def=defs.get_repository_def())
    return nightly_refresh.evaluate_tick(context)


def run_requested(instance, tick: dg.ScheduleExecutionData) -> None:
    """What the daemon does with a tick's run requests."""
    for request in tick.run_requests:
        result = defs.resolve_job_def("refresh_dataset").execute_in_process(
            partition_key=request.partition_key, instance=instance, tags=request.tags, raise_on_error=False)
        assert result.success


def test_nightly_schedule_runs_only_datasets_with_something_new(workspace):
    with dg.instance_for_test() as instance:  # a schedule context needs an instance it can refer to
        instance.add_dynamic_partitions("datasets", ["penguins"])
        nightly_runs_what_changed(instance, workspace)
    assert nightly_refresh_spec_ok()


def nightly_runs_what_changed(instance, workspace: Path) -> None:
    first = nightly_tick(instance, workspace)
    assert [(r.partition_key, r.run_key, r.tags["trigger"]) for r in first.run_requests] == [
        ("penguins", "penguins-2026-11-24", "nightly")]
    # The tick preview lists run requests by their tags: each names its dataset and why it runs.
    assert [(r.tags["dataset"], r.tags["refresh/reason"]) for r in first.run_requests] == [
        ("penguins", "never refreshed")]
    run_requested(instance, first)

    unchanged = nightly_tick(instance, workspace)
    assert unchanged.run_requests == [] and unchanged.skip_message == (
        "nothing to refresh: every dataset is unchanged since its last successful run (penguins)")

    source = workspace / "catalog" / "data" / "penguins" / "penguins.csv"
    source.write_text(source.read_text() + source.read_text().splitlines()[1] + "\n")
    changed = nightly_tick(instance, workspace)
    assert [(r.tags["dataset"], r.tags["refresh/reason"]) for r in changed.run_requests] == [
        ("penguins", "upstream changed (or could not be asked)")]
    run_requested(instance, changed)
    assert nightly_tick(instance, workspace).run_requests == []

    write_catalog(workspace, [{**PENGUINS, "title": "Palmer penguins"}])  # the card would change
    assert [r.partition_key for r in nightly_tick(instance, workspace).run_requests] == ["penguins"]


def nightly_refresh_spec_ok() -> bool:
    from pipelines.schedules import nightly_refresh

    return nightly_refresh.cron_schedule == "0 2 * * *" and nightly_refresh.execution_timezone == "UTC"
