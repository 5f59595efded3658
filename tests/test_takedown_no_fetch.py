"""A dataset taken down whole is never fetched again: its HTTP source (a real server here, counting every request)
hears nothing from the main command, from a run as the UI or the nightly launches it, or from the nightly schedule;
no raw bytes, Parquet or snapshot are written; the Hub repo keeps only the card and status.json."""

from __future__ import annotations

import functools
import json
import shutil
import threading
import uuid
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest
import yaml
from huggingface_hub import HfApi

from assets.warehouse import Warehouse
from pipelines.local_services import environment
from pipelines.run import main as run_main
from test_takedowns import BUNDLED_LICENSE, ROWS, hub_state, query, request, snapshots


class CountingHandler(SimpleHTTPRequestHandler):
    """A file server that records the path of every request it answers."""

    def __init__(self, *args, seen: list, **kwargs):
        self.seen = seen
        super().__init__(*args, **kwargs)

    def log_request(self, code="-", size="-"):
        self.seen.append(self.path)

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture
def taken_down(tmp_path):
    """A CC-BY-4.0 dataset served over HTTP, published once by the main command, then a request taking it down
    whole, applied by a second run. The test runs in its environment; `seen` lists the requests since then."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "levels.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    shutil.copy(BUNDLED_LICENSE, site / "LICENSE")
    (site / "NOTICE").write_text("Copyright 2024 Example Survey Org.\n")
    seen: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(CountingHandler, directory=str(site), seen=seen))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "catalog.yaml").write_text(yaml.safe_dump({"allow_private_network": True, "datasets": [{
        "id": "levels", "title": "Water levels (fixture)", "description": "Water levels at four sites.",
        "format": "jsonl", "license": "CC-BY-4.0", "key_columns": ["id"],
        "source": {"kind": "http", "url": f"http://127.0.0.1:{server.server_address[1]}/levels.jsonl"}}]}))
    namespace = f"nofetch-{uuid.uuid4().hex[:8]}"
    env = {"CATALOG_PATH": str(folder / "catalog.yaml"), "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
           "HUB_NAMESPACE": namespace}
    try:
        with environment(**env):
            assert run_main(["--dataset", "levels"]) == 0
            assert "/levels.jsonl" in seen  # the server counts: the first run fetched from it
            assert snapshots(env["WAREHOUSE_PATH"])[0]["published_tag"]  # published before the request
            (folder / "takedowns").mkdir()
            (folder / "takedowns" / "req-w.yaml").write_text(yaml.safe_dump(request("req-w")))
            seen.clear()
            assert run_main(["--dataset", "levels"]) == 0
            yield {"seen": seen, "root": tmp_path, "warehouse": env["WAREHOUSE_PATH"],
                   "repo_id": f"{namespace}/levels", "hub": hub_state(f"{namespace}/levels")}
    finally:
        server.shutdown()
        server.server_close()


def stored_files(root: Path) -> list[str]:
    """Every file of the raw store and the snapshots folder."""
    return sorted(str(path) for folder in ("raw", "snapshots") for path in (root / folder).rglob("*")
                  if path.is_file())


def warehouse_record(warehouse: str) -> tuple:
    return (query(warehouse, "SELECT * FROM governance.sources ORDER BY checked_at"),
            query(warehouse, "SELECT snapshot_id, purged_at FROM governance.snapshots ORDER BY created_at"))


def assert_only_the_takedown_card(repo_id: str) -> None:
    assert set(HfApi().list_repo_files(repo_id, repo_type="dataset")) <= {".gitattributes", "README.md",
                                                                          "status.json"}


def test_the_takedown_run_asks_nothing_of_the_source_and_leaves_no_file_of_it(taken_down):
    assert taken_down["seen"] == []
    assert_only_the_takedown_card(taken_down["repo_id"])
    tags, commits = taken_down["hub"]
    assert tags == [] and len(commits) == 1
    (row,) = snapshots(taken_down["warehouse"])
    assert row["purged_at"] is not None
    assert not any(name.endswith(".parquet") for name in stored_files(taken_down["root"]))
    raw_paths = [path for (path,) in query(taken_down["warehouse"], "SELECT raw_path FROM governance.sources")]
    assert len(raw_paths) == 1 and not Path(raw_paths[0]).exists()  # only the first run's fetch is on record
    (record,) = query(taken_down["warehouse"], "SELECT request_id, scope, snapshots_purged FROM governance.takedowns")
    assert record[:2] == ("req-w", "dataset") and json.loads(record[2]) == [row["snapshot_id"]]


def test_a_further_run_of_the_main_command_fetches_and_writes_nothing(taken_down, capsys):
    files, record = stored_files(taken_down["root"]), warehouse_record(taken_down["warehouse"])
    capsys.readouterr()
    assert run_main(["--dataset", "levels"]) == 0
    assert "taken down (req-w)" in capsys.readouterr().out
    assert taken_down["seen"] == []
    assert stored_files(taken_down["root"]) == files
    assert warehouse_record(taken_down["warehouse"]) == record
    assert hub_state(taken_down["repo_id"]) == taken_down["hub"]
    assert_only_the_takedown_card(taken_down["repo_id"])


def test_its_lineage_events_name_no_dataset_read_or_written(taken_down, tmp_path):
    from test_openlineage import file_transport, read_events

    events = tmp_path / "events.jsonl"
    with environment(**file_transport(events)):
        assert run_main(["--dataset", "levels"]) == 0
    completed = [event for event in read_events(events) if event["eventType"] == "COMPLETE"]
    assert sorted(event["job"]["name"] for event in completed) == [
        "hub_release.levels", "license_decision.levels", "raw_source.levels", "snapshot.levels"]
    assert all(event["inputs"] == [] and event["outputs"] == [] for event in completed)


def test_the_step_says_why_nothing_was_fetched_and_the_run_succeeds(taken_down):
    from pipelines.definitions import defs

    files = stored_files(taken_down["root"])
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("datasets", ["levels"])
        result = defs.resolve_job_def("refresh_dataset").execute_in_process(
            partition_key="levels", instance=instance, raise_on_error=False)
        logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert result.success, [event.message for event in result.all_events if event.is_step_failure]
    for asset in ("raw_source", "license_decision"):
        (materialization,) = result.asset_materializations_for_node(asset)
        metadata = {key: value.value for key, value in materialization.metadata.items()}
        assert metadata["status"].startswith("taken down (req-w)") and metadata["takedown_request"] == "req-w"
    (published,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "published"]
    assert published.description == "taken down (req-w)"
    assert any("source not fetched" in message and "req-w.yaml" in message for message in logged)
    assert taken_down["seen"] == []
    assert stored_files(taken_down["root"]) == files
    assert_only_the_takedown_card(taken_down["repo_id"])


def test_the_nightly_schedule_runs_it_once_and_then_leaves_it_alone_asking_nothing(taken_down):
    from pipelines.definitions import defs
    from pipelines.schedules import nightly_refresh

    def tick() -> dg.ScheduleExecutionData:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 12, 2, 2),
                                            resources={"warehouse": Warehouse(path=taken_down["warehouse"])},
                                            repository_def=defs.get_repository_def())
        return nightly_refresh.evaluate_tick(context)

    files = stored_files(taken_down["root"])
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("datasets", ["levels"])
        (first,) = tick().run_requests  # this instance has no run of it yet
        result = defs.resolve_job_def("refresh_dataset").execute_in_process(
            partition_key=first.partition_key, instance=instance, tags=first.tags, raise_on_error=False)
        assert result.success
        after = tick()
    assert after.run_requests == [] and "(levels)" in after.skip_message
    assert taken_down["seen"] == []
    assert stored_files(taken_down["root"]) == files
    assert hub_state(taken_down["repo_id"]) == taken_down["hub"]
