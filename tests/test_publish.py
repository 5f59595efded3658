"""Publishing: one atomic commit per snapshot, tagged; idempotent re-publish; a new snapshot replaces the old files
in one commit while the old tag keeps serving the old data; retries on 429 / 5xx; fail-fast and recorded failures
on refused tokens; the card. Real pipeline runs against the session loopback Hub, fault injection on a private one."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest
import yaml
from huggingface_hub import DatasetCard, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError

from assets import hub as hub_module
from assets import DATA_FILE
from assets.catalog import load_catalog
from assets.hub import RetryPolicy, hub_error_message, with_retries
from assets.publish import build_release
from assets.release_push import push_release
from assets.store import latest_checks
from loopback_hub import HubServer
from pipelines.local_services import environment
from pipelines.run import main as run_main

BUNDLED_LICENSE = Path(__file__).resolve().parent.parent / "catalog" / "data" / "mauna-loa-co2" / "LICENSE"
NOTICE = "Copyright 2024 Example Survey Org.\nData: Example Survey Org, https://example.org/survey.\n"
ROWS_A = [{"id": 1, "site": "north", "level": 1.5}, {"id": 2, "site": "south", "level": 2.25}]
ROWS_B = ROWS_A + [{"id": 3, "site": "east", "level": 0.75}]
FAST = RetryPolicy(tries=4, base_delay_s=0.01, max_delay_s=0.05)


def write_rows(folder: Path, rows: list[dict]) -> None:
    (folder / "data" / "levels.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A CC-BY-4.0 dataset (LICENSE.md + NOTICE beside it) published once by the main command."""
    root = tmp_path_factory.mktemp("publish")
    folder = root / "catalog"
    (folder / "data").mkdir(parents=True)
    write_rows(folder, ROWS_A)
    shutil.copy(BUNDLED_LICENSE, folder / "data" / "LICENSE.md")
    (folder / "data" / "NOTICE").write_text(NOTICE)
    (folder / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [{
        "id": "levels", "title": "Water levels (fixture)", "description": "Water levels at two sites.",
        "format": "jsonl", "license": "CC-BY-4.0", "key_columns": ["id"],
        "source": {"kind": "file", "path": "data/levels.jsonl"}}]}))
    env = {"CATALOG_PATH": str(folder / "catalog.yaml"), "WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
           "HUB_NAMESPACE": f"pub-{uuid.uuid4().hex[:8]}"}
    with environment(**env):
        assert run_main(["--dataset", "levels"]) == 0
        yield {"folder": folder, "repo_id": f"{env['HUB_NAMESPACE']}/levels", "warehouse": env["WAREHOUSE_PATH"]}


def snapshot_rows(published) -> list[dict]:
    with duckdb.connect(published["warehouse"], read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM governance.snapshots ORDER BY created_at")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def first_release(published, repo_id: str, endpoint: str):
    """The first snapshot's release, rebuilt from the warehouse as the publish step builds it (one split that is
    published as is: no shard is written)."""
    from assets.warehouse import Warehouse

    warehouse = Warehouse(path=published["warehouse"])
    row = snapshot_rows(published)[0]
    source = warehouse.fetch_one("SELECT * FROM governance.sources WHERE raw_sha256 = ? LIMIT 1",
                                 [row["content_sha256"]])
    return build_release(load_catalog().get("levels"), repo_id, endpoint, row, json.loads(source["evidence"]),
                         latest_checks(warehouse, row["snapshot_id"]), Path(published["warehouse"]).parent / "shards")


def test_one_tagged_commit_holds_exactly_the_snapshot(published):
    api = HfApi()
    repo_id = published["repo_id"]
    (row,) = snapshot_rows(published)
    tag = row["snapshot_id"]
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    (tag_ref,) = [ref for ref in refs.tags if ref.name == tag]
    main_head = next(ref.target_commit for ref in refs.branches if ref.name == "main")
    assert tag_ref.target_commit == main_head == row["published_revision"]
    assert row["published_tag"] == tag and row["publish_error"] is None
    titles = [commit.title for commit in api.list_repo_commits(repo_id, repo_type="dataset")]
    assert titles == [f"Publish snapshot {tag}", "initial commit"]
    files = set(api.list_repo_files(repo_id, repo_type="dataset", revision=tag))
    assert files == {".gitattributes", "README.md", "provenance.json", "croissant.json", "spdx.json", "LICENSE.md",
                     "NOTICE", DATA_FILE}
    parquet = Path(hf_hub_download(repo_id, DATA_FILE, repo_type="dataset", revision=tag))
    assert parquet.read_bytes() == Path(row["parquet_path"]).read_bytes()


def test_card_carries_license_attribution_provenance_and_usage(published):
    repo_id = published["repo_id"]
    (row,) = snapshot_rows(published)
    card = DatasetCard.load(hf_hub_download(repo_id, "README.md", repo_type="dataset", revision=row["snapshot_id"]))
    assert card.data.license == "cc-by-4.0"
    assert card.data.pretty_name == "Water levels (fixture)"
    assert card.data.size_categories == ["n<1K"]
    assert card.data.source_datasets is None  # a local file and no homepage: no public location to name
    assert card.data.configs == [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}]
    assert "license-use:commercial" in card.data.tags
    for expected in ("Commercial use: allowed", "Attribution required: yes", "Example Survey Org",
                     "credit the copyright holders", f"`{DATA_FILE}` | ", row["parquet_sha256"],
                     f'revision="{row["snapshot_id"]}"', f"pipelines.verify {repo_id} --revision {row['snapshot_id']}",
                     "travel with the data in `LICENSE.md` and `NOTICE`"):
        assert expected in card.text, expected


def test_republishing_the_same_snapshot_makes_no_commit(published):
    api = HfApi()
    repo_id = published["repo_id"]
    commits_before = api.list_repo_commits(repo_id, repo_type="dataset")
    assert run_main(["--dataset", "levels"]) == 0
    release = first_release(published, repo_id, api.endpoint)
    assert push_release(api, release) == (commits_before[0].commit_id, False)
    assert api.list_repo_commits(repo_id, repo_type="dataset") == commits_before


def test_refused_token_fails_the_publish_records_it_and_keeps_the_previous_tag(published, monkeypatch):
    api = HfApi()
    repo_id = published["repo_id"]
    refs_before = api.list_repo_refs(repo_id, repo_type="dataset")
    write_rows(published["folder"], ROWS_B)
    bogus = "hf_notARealTokenButSecret0123456789"
    monkeypatch.setenv("HF_TOKEN", bogus)
    assert run_main(["--dataset", "levels"]) == 1
    monkeypatch.undo()
    old, new = snapshot_rows(published)
    assert new["published_tag"] is None
    assert "the Hub refused the token (401): check HF_TOKEN" in new["publish_error"]
    assert bogus not in new["publish_error"]
    assert api.list_repo_refs(repo_id, repo_type="dataset") == refs_before
    assert old["published_tag"] == old["snapshot_id"]


def test_next_snapshot_replaces_the_old_files_in_one_commit_and_the_old_tag_keeps_the_old_data(published):
    from datasets import load_dataset

    api = HfApi()
    repo_id = published["repo_id"]
    data = published["folder"] / "data"
    write_rows(published["folder"], ROWS_B)
    (data / "LICENSE.md").rename(data / "LICENSE")  # the old snapshot's LICENSE.md no longer belongs
    commits_before = [c.commit_id for c in api.list_repo_commits(repo_id, repo_type="dataset")]
    assert run_main(["--dataset", "levels"]) == 0
    # The renamed license file is new evidence, so a new decision record: the snapshot of ROWS_B whose publish
    # failed above is not reused, a new one is made.
    old, refused, new = snapshot_rows(published)
    assert refused["published_tag"] is None and refused["content_sha256"] == new["content_sha256"]
    commits = api.list_repo_commits(repo_id, repo_type="dataset")
    assert [c.commit_id for c in commits[1:]] == commits_before  # exactly one new commit
    assert (commits[0].commit_id, commits[0].title) == (new["published_revision"],
                                                        f"Publish snapshot {new['snapshot_id']}")
    new_files = set(api.list_repo_files(repo_id, repo_type="dataset", revision=new["snapshot_id"]))
    assert "LICENSE" in new_files and "LICENSE.md" not in new_files
    assert "LICENSE.md" in set(api.list_repo_files(repo_id, repo_type="dataset", revision=old["snapshot_id"]))
    old_rows = load_dataset(repo_id, revision=old["snapshot_id"], split="train")
    new_rows = load_dataset(repo_id, revision=new["snapshot_id"], split="train")
    assert [row["id"] for row in old_rows] == [1, 2] and [row["id"] for row in new_rows] == [1, 2, 3]


@pytest.fixture
def private_hub(tmp_path):
    """A fresh loopback Hub for fault injection, accepting this session's token for writes."""
    read_token = "hf_privateHubReadOnly0123456789"
    with HubServer(tmp_path / "hub", tokens={os.environ["HF_TOKEN"]: "write", read_token: "read"}) as server:
        server.read_token = read_token
        yield server


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(hub_module.time, "sleep", recorded.append)
    return recorded


def publish_commits(api: HfApi, repo_id: str) -> list[str]:
    return [c.title for c in api.list_repo_commits(repo_id, repo_type="dataset") if c.title.startswith("Publish")]


def test_rate_limited_commit_is_retried_after_retry_after(published, private_hub, sleeps):
    api = HfApi(endpoint=private_hub.url, token=os.environ["HF_TOKEN"])
    release = first_release(published, "steward/levels", api.endpoint)
    fault = private_hub.inject_fault("POST", r"/api/datasets/steward/levels/commit/main$", 429,
                                     headers={"Retry-After": "3"})
    oid, new_commit = with_retries(lambda: push_release(api, release))
    assert fault.fired == 1 and sleeps == [3.0] and new_commit
    assert publish_commits(api, "steward/levels") == [release.commit_message]
    assert next(t.target_commit for t in api.list_repo_refs("steward/levels", repo_type="dataset").tags) == oid


def test_server_error_after_the_commit_landed_tags_it_without_a_second_commit(published, private_hub, sleeps):
    api = HfApi(endpoint=private_hub.url, token=os.environ["HF_TOKEN"])
    release = first_release(published, "steward/levels", api.endpoint)
    fault = private_hub.inject_fault("POST", r"/api/datasets/steward/levels/tag/", 500, times=2)
    oid, _ = with_retries(lambda: push_release(api, release), policy=FAST)
    assert fault.fired == 2 and sleeps == [0.01, 0.02]  # exponential backoff
    assert publish_commits(api, "steward/levels") == [release.commit_message]
    assert api.list_repo_commits("steward/levels", repo_type="dataset")[0].commit_id == oid


def test_persistent_server_errors_give_up_after_the_last_try(published, private_hub, sleeps):
    api = HfApi(endpoint=private_hub.url, token=os.environ["HF_TOKEN"])
    release = first_release(published, "steward/levels", api.endpoint)
    fault = private_hub.inject_fault("GET", r"/api/datasets/steward/levels/refs", 503, times=10)
    with pytest.raises(HfHubHTTPError) as raised:
        with_retries(lambda: push_release(api, release), policy=FAST)
    assert fault.fired == FAST.tries and len(sleeps) == FAST.tries - 1
    assert hub_error_message(raised.value).startswith("HTTP 503")


@pytest.mark.parametrize("token_kind, expected", [
    ("unknown", "the Hub refused the token (401): check HF_TOKEN"),
    ("read", "the Hub denied the token access (403): HF_TOKEN needs write access"),
])
def test_refused_tokens_fail_fast_with_a_clear_message(published, private_hub, sleeps, token_kind, expected):
    token = "hf_unknownToken9876543210abcdef" if token_kind == "unknown" else private_hub.read_token
    api = HfApi(endpoint=private_hub.url, token=token)
    release = first_release(published, "steward/levels", api.endpoint)
    with pytest.raises(HfHubHTTPError) as raised:
        with_retries(lambda: push_release(api, release))
    message = hub_error_message(raised.value)
    assert message.startswith(expected) and token not in message
    assert sleeps == []
    assert not HfApi(endpoint=private_hub.url, token=False).repo_exists("steward/levels", repo_type="dataset")


def test_a_concurrent_change_on_main_is_not_overwritten(published, private_hub, sleeps):
    class RacingApi(HfApi):
        """Someone else commits to main right after the publish read the repo's head."""

        def list_repo_files(self, repo_id, **kwargs):
            files = super().list_repo_files(repo_id, **kwargs)
            self.upload_file(path_or_fileobj=b"theirs", path_in_repo="theirs.txt", repo_id=repo_id,
                             repo_type="dataset", commit_message="Concurrent change")
            return files

    api = RacingApi(endpoint=private_hub.url, token=os.environ["HF_TOKEN"])
    release = first_release(published, "steward/levels", api.endpoint)
    with pytest.raises(HfHubHTTPError) as raised:
        with_retries(lambda: push_release(api, release), policy=FAST)
    assert hub_error_message(raised.value).startswith("the repo changed while publishing (412)")
    assert sleeps == []
    plain = HfApi(endpoint=private_hub.url, token=os.environ["HF_TOKEN"])
    assert "theirs.txt" in plain.list_repo_files("steward/levels", repo_type="dataset")
    assert plain.list_repo_refs("steward/levels", repo_type="dataset").tags == []


def an_older_snapshot_on_main(api: HfApi, repo_id: str) -> None:
    """A file the release does not hold: publishing it is a real commit, which the Hub refuses if main moved."""
    api.create_repo(repo_id, repo_type="dataset")
    api.upload_file(path_or_fileobj=b"older", path_in_repo="older.txt", repo_id=repo_id, repo_type="dataset")


@pytest.mark.parametrize("main_had_files", [True, False], ids=["commit-refused-412", "tag-exists-409"])
def test_a_snapshot_another_run_published_meanwhile_is_a_success(published, private_hub, sleeps, main_had_files):
    """Two runs on one warehouse publish the same snapshot: the one the other beat to the commit (the Hub refuses
    its commit with 412) or to the tag (409) finds the other's tagged commit and succeeds, with no second commit."""
    token = os.environ["HF_TOKEN"]
    plain = HfApi(endpoint=private_hub.url, token=token)
    release = first_release(published, "steward/levels", private_hub.url)
    if main_had_files:
        an_older_snapshot_on_main(plain, "steward/levels")

    class RacingApi(HfApi):
        """The other run publishes the snapshot right after this publish read the repo's head."""

        def list_repo_files(self, repo_id, **kwargs):
            files = super().list_repo_files(repo_id, **kwargs)
            push_release(plain, release)
            return files

    oid, _ = with_retries(lambda: push_release(RacingApi(endpoint=private_hub.url, token=token), release),
                          policy=FAST)
    assert sleeps == []
    refs = plain.list_repo_refs("steward/levels", repo_type="dataset")
    assert [(tag.name, tag.target_commit) for tag in refs.tags] == [(release.tag, oid)]
    assert publish_commits(plain, "steward/levels") == [release.commit_message]


def test_a_snapshot_another_run_committed_but_did_not_tag_yet_is_tagged_and_a_success(published, private_hub):
    token = os.environ["HF_TOKEN"]
    plain = HfApi(endpoint=private_hub.url, token=token)
    release = first_release(published, "steward/levels", private_hub.url)
    an_older_snapshot_on_main(plain, "steward/levels")

    class Untagging(HfApi):
        def create_tag(self, *args, **kwargs):  # the other run has committed, its tag is still to come
            pass

    class RacingApi(HfApi):
        def list_repo_files(self, repo_id, **kwargs):
            files = super().list_repo_files(repo_id, **kwargs)
            push_release(Untagging(endpoint=private_hub.url, token=token), release)
            return files

    oid, new_commit = push_release(RacingApi(endpoint=private_hub.url, token=token), release)
    refs = plain.list_repo_refs("steward/levels", repo_type="dataset")
    assert not new_commit and [(tag.name, tag.target_commit) for tag in refs.tags] == [(release.tag, oid)]
    assert oid == next(branch.target_commit for branch in refs.branches if branch.name == "main")
    assert publish_commits(plain, "steward/levels") == [release.commit_message]
    # The other run's own tag call then finds the tag made here: a success too.
    from assets.release_push import tag_release

    assert tag_release(plain, release, oid) == oid


def test_a_tag_of_the_snapshot_id_on_other_files_is_refused_not_adopted(published, private_hub):
    from assets.release_push import PublishError

    api = HfApi(endpoint=private_hub.url, token=os.environ["HF_TOKEN"])
    release = first_release(published, "steward/levels", private_hub.url)
    api.create_repo("steward/levels", repo_type="dataset")
    api.upload_file(path_or_fileobj=b"{}", path_in_repo="provenance.json", repo_id="steward/levels",
                    repo_type="dataset")
    api.create_tag("steward/levels", tag=release.tag, repo_type="dataset")
    with pytest.raises(PublishError, match=f"tag {release.tag} of steward/levels names commit .* which does not "
                                           "hold this snapshot"):
        push_release(api, release)


def test_a_published_snapshot_never_also_holds_a_publish_error(tmp_path):
    from assets.publish import record_publish_failure, record_publish_success
    from assets.warehouse import Warehouse

    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    with warehouse.connect() as connection:
        connection.execute("INSERT INTO governance.snapshots (snapshot_id, dataset_id) VALUES ('s-1', 's')")
    record_publish_failure(warehouse, "s-1", "s: publishing s-1 failed: HTTP 503")
    record_publish_success(warehouse, "s-1", "ns/s", "abc123")
    record_publish_failure(warehouse, "s-1", "s: publishing s-1 to ns/s failed: the repo changed (412)")
    row = warehouse.fetch_one("SELECT published_tag, publish_error FROM governance.snapshots")
    assert row == {"published_tag": "s-1", "publish_error": None}


def test_publishing_without_hf_token_says_so(monkeypatch):
    from assets.hub import HubAccessError, HubTarget

    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HubAccessError, match="HF_TOKEN is not set"):
        HubTarget().client()


def test_retry_delays_back_off_exponentially_and_cap_retry_after():
    policy = RetryPolicy(tries=4, base_delay_s=1.0, max_delay_s=30.0)

    class Failure(Exception):
        def __init__(self, headers):
            self.response = type("Response", (), {"status_code": 503, "headers": headers})()

    assert [policy.delay(Failure({}), attempt) for attempt in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert policy.delay(Failure({"Retry-After": "7"}), 1) == 7.0
    assert policy.delay(Failure({"Retry-After": "3600"}), 1) == 30.0


def test_uploads_through_the_publish_client_draw_no_progress_bars(capfd):
    from assets.hub import HubTarget

    api = HubTarget(namespace=f"quiet-{uuid.uuid4().hex[:8]}").client()
    repo_id = api.create_repo(f"quiet-{uuid.uuid4().hex[:8]}/bars", repo_type="dataset").repo_id
    api.upload_file(path_or_fileobj=b"PAR1" + bytes(4096), path_in_repo="data.parquet", repo_id=repo_id,
                    repo_type="dataset")
    hf_hub_download(repo_id, "data.parquet", repo_type="dataset")
    err = capfd.readouterr().err
    assert "%|" not in err and "Upload" not in err, err[-1000:]
