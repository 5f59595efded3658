"""Takedown requests (`takedowns/` beside the catalog), by real pipeline runs against the session loopback Hub:
rows by key or predicate are gone from the next snapshot and from every tag and commit that held them; a whole
dataset leaves nothing on the Hub; a bad request fails with its file and id named, and nothing published changes."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import HfApi
from huggingface_hub.errors import RevisionNotFoundError

from pipelines.local_services import environment
from pipelines.run import main as run_main
from test_object_store import s3  # noqa: F401 (a fixture)

BUNDLED_LICENSE = Path(__file__).resolve().parent.parent / "catalog" / "data" / "mauna-loa-co2" / "LICENSE"
ROWS = [{"id": 1, "site": "north", "level": 1.5}, {"id": 2, "site": "south", "level": 2.25},
        {"id": 3, "site": "east", "level": 0.75}, {"id": 4, "site": "west", "level": 3.0}]


@pytest.fixture
def levels(tmp_path):
    """A CC-BY-4.0 dataset of four rows, published once by the main command; the test runs in its environment."""
    folder = tmp_path / "catalog"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "levels.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    shutil.copy(BUNDLED_LICENSE, folder / "data" / "LICENSE")
    (folder / "data" / "NOTICE").write_text("Copyright 2024 Example Survey Org.\n")
    (folder / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [{
        "id": "levels", "title": "Water levels (fixture)", "description": "Water levels at four sites.",
        "format": "jsonl", "license": "CC-BY-4.0", "key_columns": ["id"],
        "source": {"kind": "file", "path": "data/levels.jsonl"}}]}))
    env = {"CATALOG_PATH": str(folder / "catalog.yaml"), "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
           "HUB_NAMESPACE": f"takedown-{uuid.uuid4().hex[:8]}"}
    with environment(**env):
        assert run_main(["--dataset", "levels"]) == 0
        (first,) = snapshots(env["WAREHOUSE_PATH"])
        yield {"folder": folder, "repo_id": f"{env['HUB_NAMESPACE']}/levels", "warehouse": env["WAREHOUSE_PATH"],
               "first": first, "root": tmp_path}


def request_file(levels, name: str, request: dict) -> Path:
    folder = levels["folder"] / "takedowns"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(request) if isinstance(request, dict) else request)
    return path


def snapshots(warehouse: str) -> list[dict]:
    with duckdb.connect(warehouse, read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM governance.snapshots ORDER BY created_at")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def query(warehouse: str, sql: str) -> list[tuple]:
    with duckdb.connect(warehouse, read_only=True) as connection:
        return connection.execute(sql).fetchall()


def hub_state(repo_id: str) -> tuple:
    api = HfApi()
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    return (sorted((ref.name, ref.target_commit) for ref in refs.tags),
            [commit.commit_id for commit in api.list_repo_commits(repo_id, repo_type="dataset")])


def ids_served(repo_id: str, revision: str, tmp: Path) -> set[int]:
    files = HfApi().list_repo_files(repo_id, repo_type="dataset", revision=revision)
    ids = set()
    for path in (path for path in files if path.endswith(".parquet")):
        local = HfApi().hf_hub_download(repo_id, path, repo_type="dataset", revision=revision, cache_dir=tmp)
        ids |= set(pq.read_table(local).column("id").to_pylist())
    return ids


def request(request_id: str, rows: dict | None = None, dataset: str = "levels") -> dict:
    return {"id": request_id, "requested_by": "Jane Doe <jane@example.org>", "date": "2026-12-01",
            "dataset": dataset, **({"rows": rows} if rows is not None else {})}


def test_a_takedown_of_two_rows_by_key_purges_them_from_every_tag_and_commit(levels, capsys):
    api, repo_id, first = HfApi(), levels["repo_id"], levels["first"]
    request_file(levels, "req-1.yaml", request("req-1", {"keys": {"id": [2, 4]}}))
    assert run_main(["--dataset", "levels"]) == 0

    old, new = snapshots(levels["warehouse"])
    assert old["snapshot_id"] == first["snapshot_id"] and new["row_count"] == 2
    tag = new["snapshot_id"]
    assert ids_served(repo_id, tag, levels["root"] / "cache") == {1, 3}
    assert set(pq.read_table(new["parquet_path"]).column("id").to_pylist()) == {1, 3}
    provenance = json.loads(Path(api.hf_hub_download(repo_id, "provenance.json", repo_type="dataset", revision=tag,
                                                     cache_dir=levels["root"] / "cache")).read_text())
    assert provenance["takedowns"] == [{"request": "req-1", "rows_removed": 2}]
    # The older tag is gone, and no commit on the Hub serves the taken-down rows.
    tags, commits = hub_state(repo_id)
    assert [name for name, _ in tags] == [tag]
    # main: the squashed commit with the data withdrawn (the purge came before the checks), then the new snapshot.
    assert len(commits) == 2 and tags[0][1] == commits[0] == new["published_revision"]
    assert [ids_served(repo_id, commit, levels["root"] / "cache") for commit in commits] == [{1, 3}, set()]
    for gone in (first["snapshot_id"], first["published_revision"]):
        with pytest.raises(RevisionNotFoundError):
            api.list_repo_files(repo_id, repo_type="dataset", revision=gone)
    # The warehouse keeps the record, not the bytes.
    assert old["purged_at"] is not None and not Path(old["parquet_path"]).parent.exists()
    (record,) = query(levels["warehouse"], "SELECT request_id, scope, rows_removed, snapshots_purged"
                                           " FROM governance.takedowns")
    assert record[:3] == ("req-1", "rows", 2) and json.loads(record[3]) == [first["snapshot_id"]]
    (purge,) = query(levels["warehouse"], "SELECT action, cause, removed_tags, requests FROM governance.withdrawals")
    assert purge[:2] == ("withdraw", "takedown") and json.loads(purge[2]) == [first["snapshot_id"]]
    assert json.loads(purge[3]) == ["req-1"]
    # A second run changes nothing.
    assert run_main(["--dataset", "levels"]) == 0
    assert hub_state(repo_id) == (tags, commits)


def test_verify_of_a_purged_tag_names_the_request_and_the_snapshot_to_use(levels, capsys):
    from pipelines.verify import main as verify_main

    request_file(levels, "req-2.yaml", request("req-2", {"keys": {"id": [1]}}))
    assert run_main(["--dataset", "levels"]) == 0
    new = snapshots(levels["warehouse"])[-1]
    capsys.readouterr()
    assert verify_main([levels["repo_id"], "--revision", levels["first"]["snapshot_id"]]) != 0
    said = "".join(capsys.readouterr())
    assert "req-2" in said and new["snapshot_id"] in said
    assert verify_main([levels["repo_id"], "--revision", new["snapshot_id"]]) == 0


def test_taken_down_rows_leave_the_hub_even_when_the_snapshot_without_them_fails_its_checks(levels, monkeypatch,
                                                                                            capsys):
    """A takedown is not held back by a blocking check: the purge comes before the checks."""
    from pipelines.verify import main as verify_main

    api, repo_id, first = HfApi(), levels["repo_id"], levels["first"]
    suites = levels["root"] / "suites"
    suites.mkdir()
    (suites / "levels.yaml").write_text(yaml.safe_dump({"expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 4}}]}))
    monkeypatch.setenv("CHECK_SUITES_DIR", str(suites))
    request_file(levels, "req-7.yaml", request("req-7", {"keys": {"id": [2]}}))
    capsys.readouterr()
    assert run_main(["--dataset", "levels"]) == 0
    # Three rows left: the suite fails and nothing new is published, yet the rows are no longer served.
    summary = capsys.readouterr().out
    assert "not published: blocking quality checks failed (" in summary
    assert "withdrawn from" in summary and "(data removed from main at takedown request req-7)" in summary
    tags, commits = hub_state(repo_id)
    assert tags == [] and len(commits) == 1
    assert set(api.list_repo_files(repo_id, repo_type="dataset")) <= {".gitattributes", "README.md", "status.json"}
    status = json.loads(Path(api.hf_hub_download(repo_id, "status.json", repo_type="dataset",
                                                 cache_dir=levels["root"] / "cache")).read_text())
    assert status["status"] == "withdrawn" and status["current_tag"] is None
    assert (status["events"][-1]["requests"], status["events"][-1]["removed_tags"]) == (["req-7"],
                                                                                         [first["snapshot_id"]])
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", first["snapshot_id"]]) != 0
    said = "".join(capsys.readouterr())
    assert "req-7" in said and "no snapshot replaces it" in said
    # The suite put right, the snapshot without the row is published over the withdrawn main.
    monkeypatch.delenv("CHECK_SUITES_DIR")
    assert run_main(["--dataset", "levels"]) == 0
    new = snapshots(levels["warehouse"])[-1]
    tags, commits = hub_state(repo_id)
    assert tags == [(new["snapshot_id"], commits[0])] and len(commits) == 2
    assert ids_served(repo_id, new["snapshot_id"], levels["root"] / "cache") == {1, 3, 4}
    capsys.readouterr()
    assert verify_main([repo_id, "--revision", first["snapshot_id"]]) != 0
    assert f"use {new['snapshot_id']} (main's current snapshot) instead" in "".join(capsys.readouterr())
    assert verify_main([repo_id, "--revision", new["snapshot_id"]]) == 0


def test_a_where_predicate_removes_the_rows_it_matches_and_a_null_keeps_a_row(levels):
    request_file(levels, "req-3.yml", request("req-3", {"where": "site IN ('north', 'east') OR level > 2.5"}))
    assert run_main(["--dataset", "levels"]) == 0
    new = snapshots(levels["warehouse"])[-1]
    assert ids_served(levels["repo_id"], new["snapshot_id"], levels["root"] / "cache") == {2}
    assert query(levels["warehouse"], "SELECT rows_removed FROM governance.takedowns") == [(3,)]


def test_a_takedown_of_the_whole_dataset_leaves_nothing_of_it_on_the_hub(levels, capsys):
    from pipelines.verify import main as verify_main

    api, repo_id, first = HfApi(), levels["repo_id"], levels["first"]
    request_file(levels, "req-4.yaml", request("req-4"))
    capsys.readouterr()
    assert run_main(["--dataset", "levels"]) == 0
    assert "taken down (req-4)" in capsys.readouterr().out
    tags, commits = hub_state(repo_id)
    assert tags == [] and len(commits) == 1
    assert set(api.list_repo_files(repo_id, repo_type="dataset")) <= {".gitattributes", "README.md", "status.json"}
    status = json.loads(Path(api.hf_hub_download(repo_id, "status.json", repo_type="dataset",
                                                 cache_dir=levels["root"] / "cache")).read_text())
    assert status["status"] == "taken_down" and status["events"][-1]["requests"] == ["req-4"]
    with pytest.raises(RevisionNotFoundError):
        api.list_repo_files(repo_id, repo_type="dataset", revision=first["published_revision"])
    (row,) = snapshots(levels["warehouse"])
    assert row["purged_at"] is not None and not Path(row["parquet_path"]).parent.exists()
    assert not Path(query(levels["warehouse"], "SELECT raw_path FROM governance.sources")[0][0]).exists()
    assert verify_main([repo_id, "--revision", first["snapshot_id"]]) != 0
    assert "req-4" in "".join(capsys.readouterr())
    # Never published again: the next run leaves the repo as it is.
    assert run_main(["--dataset", "levels"]) == 0
    assert hub_state(repo_id) == (tags, commits)


@pytest.fixture
def s3_levels(s3, levels):  # noqa: F811 (the fixture imported above)
    """`levels` published with OBJECT_STORE_URL set: its raw bytes and snapshot are also in the bucket."""
    return s3


def test_a_purge_deletes_the_objects_in_the_object_store_too(s3_levels, levels):
    from test_object_store import stored_objects

    first = levels["first"]
    raw = Path(query(levels["warehouse"], "SELECT raw_path FROM governance.sources")[0][0]).name
    before = stored_objects(s3_levels)
    assert f"raw/{raw[:2]}/{raw}" in before
    assert any(key.startswith(f"snapshots/levels/{first['snapshot_id']}/") for key in before)
    request_file(levels, "req-5.yaml", request("req-5", {"keys": {"id": [3]}}))
    assert run_main(["--dataset", "levels"]) == 0
    after = stored_objects(s3_levels)
    assert f"raw/{raw[:2]}/{raw}" not in after
    assert not any(key.startswith(f"snapshots/levels/{first['snapshot_id']}/") for key in after)
    new = snapshots(levels["warehouse"])[-1]
    assert any(key.startswith(f"snapshots/levels/{new['snapshot_id']}/") for key in after)


BAD_REQUESTS = {
    "unknown dataset": (request("bad-1", {"keys": {"id": [1]}}, dataset="nope"), "not in the catalog"),
    "unknown column": (request("bad-2", {"keys": {"station": [1]}}), "unknown column(s) station"),
    "a second statement": (request("bad-3", {"where": "id = 1; DROP TABLE t"}), "not one SQL predicate"),
    "no predicate": (request("bad-4", {"where": "id + 1"}), "not a predicate"),
    "unparsable": (request("bad-5", {"where": "id = = 1"}), "not one SQL predicate"),
    "a subquery reading files": (request("bad-6", {"where": "id IN (SELECT 1 FROM read_csv('/etc/passwd'))"}),
                                 "cannot be applied"),
    "unknown column in a predicate": (request("bad-7", {"where": "station = 1"}), "cannot be applied"),
    "breaking out of its parentheses": (request("bad-8", {"where": "id = 1) OR (1 = 1"}), "not one SQL predicate"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_a_bad_request_fails_naming_its_file_and_id_and_nothing_published_changes(levels, capsys, case):
    content, expected = BAD_REQUESTS[case]
    request_file(levels, f"{content['id']}.yaml", content)
    before = hub_state(levels["repo_id"])
    capsys.readouterr()
    assert run_main([] if content["dataset"] == "nope" else ["--dataset", "levels"]) == 1
    said = capsys.readouterr().out
    assert f"{content['id']}.yaml" in said and f"request {content['id']}" in said and expected in said, said
    assert hub_state(levels["repo_id"]) == before
    assert query(levels["warehouse"], "SELECT count(*) FROM governance.takedowns") == [(0,)]
    assert Path(levels["first"]["parquet_path"]).is_file()


def test_a_file_that_is_no_request_fails_as_itself(levels, capsys):
    request_file(levels, "broken.yaml", "id: [unclosed\n")
    capsys.readouterr()
    assert run_main([]) == 1
    assert "broken.yaml" in capsys.readouterr().out


def test_the_requests_and_the_rows_they_name_are_part_of_the_snapshot_identity():
    from assets.catalog import load_catalog
    from assets.identity import snapshot_id_for_decision

    entry = load_catalog().get("palmer-penguins")
    before = snapshot_id_for_decision(entry, ["a" * 64], {"decision": "publish"})
    taken = snapshot_id_for_decision(entry, ["a" * 64], {"decision": "publish"}, [{"request": "r", "rows": "id = 1"}])
    edited = snapshot_id_for_decision(entry, ["a" * 64], {"decision": "publish"}, [{"request": "r", "rows": "id = 2"}])
    assert len({before, taken, edited}) == 3
    assert snapshot_id_for_decision(entry, ["a" * 64], {"decision": "publish"}, []) == before


def test_a_new_request_makes_the_nightly_run_its_dataset(levels):
    from assets.catalog import load_catalog
    from pipelines.refresh_needed import refresh_inputs

    before = refresh_inputs(load_catalog().get("levels"))
    request_file(levels, "req-6.yaml", request("req-6", {"keys": {"id": [1]}}))
    assert refresh_inputs(load_catalog().get("levels")) != before
