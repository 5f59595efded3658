"""The consumer's verify command on a snapshot published by the real pipeline: it passes and prints the license,
its obligations and commercial use; it fails non-zero, naming the file, when the data at a revision was tampered
with on the Hub, when a local download was corrupted, or when a file no record vouches for was slipped in."""

from __future__ import annotations

import io
import json
import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download

from assets import DATA_FILE
from pipelines.verify import main as verify_main
from pipelines.verify import verify_files
from pipelines.local_services import environment
from pipelines.run import main as run_main

BUNDLED_LICENSE = Path(__file__).resolve().parent.parent / "catalog" / "data" / "mauna-loa-co2" / "LICENSE"


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict:
    """A CC-BY-4.0 CSV dataset with LICENSE and NOTICE, published once by the main command."""
    root = tmp_path_factory.mktemp("verify")
    data = root / "catalog" / "data"
    data.mkdir(parents=True)
    (data / "counts.csv").write_text("id,count\n1,10\n2,20\n3,30\n")
    shutil.copy(BUNDLED_LICENSE, data / "LICENSE")
    (data / "NOTICE").write_text("Copyright 2022 Bird Count Society.\nCounts by the Bird Count Society.\n")
    (root / "catalog" / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [{
        "id": "counts", "title": "Bird counts (fixture)", "format": "csv", "license": "CC-BY-4.0",
        "key_columns": ["id"], "source": {"kind": "file", "path": "data/counts.csv"}}]}))
    env = {"CATALOG_PATH": str(root / "catalog" / "catalog.yaml"), "WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
           "HUB_NAMESPACE": f"verify-{uuid.uuid4().hex[:8]}"}
    with environment(**env):
        assert run_main(["--dataset", "counts"]) == 0
    tag = json.loads((next((root / "snapshots" / "counts").iterdir()) / "provenance.json").read_text())["snapshot_id"]
    return {"repo_id": f"{env['HUB_NAMESPACE']}/counts", "tag": tag}


def tag_a_change(repo_id: str, tag: str, operations: list) -> None:
    """Commit `operations` on top of main and tag the result, as someone tampering with the repo would."""
    api = HfApi()
    commit = api.create_commit(repo_id, operations, repo_type="dataset", commit_message="Tamper")
    api.create_tag(repo_id, tag=tag, revision=commit.oid, repo_type="dataset")


def other_parquet() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3], "count": [10, 20, 31]}), buffer)
    return buffer.getvalue()


def test_verify_passes_and_prints_license_obligations_and_commercial_use(published, capsys):
    assert verify_main([published["repo_id"], "--revision", published["tag"]]) == 0
    out, err = capsys.readouterr()
    assert f"verified {published['repo_id']}@{published['tag']}" in out
    assert "4 file(s) match provenance.json and croissant.json" in out
    assert f"ok  {DATA_FILE}" in out
    assert "license: Creative Commons Attribution 4.0 International (SPDX CC-BY-4.0)" in out
    assert "commercial use allowed: yes" in out
    assert "  - credit the copyright holders" in out
    assert "source: counts.csv (a file on the publisher's machine; its location is not published)" in out
    assert "downloading" in err and "100%" in err  # the progress bar


def test_verify_fails_when_the_data_at_a_revision_was_changed_on_the_hub(published, capsys):
    tag_a_change(published["repo_id"], "tampered-data",
                 [CommitOperationAdd(path_in_repo=DATA_FILE, path_or_fileobj=other_parquet())])
    assert verify_main([published["repo_id"], "--revision", "tampered-data"]) == 1
    err = capsys.readouterr().err
    assert f"verification FAILED for {published['repo_id']}@tampered-data" in err
    assert f"{DATA_FILE}: sha256 " in err and "does not match provenance.json and croissant.json" in err


def test_verify_fails_when_a_file_no_record_vouches_for_was_added(published, capsys):
    tag_a_change(published["repo_id"], "extra-file",
                 [CommitOperationAdd(path_in_repo="data/extra.parquet", path_or_fileobj=other_parquet())])
    assert verify_main([published["repo_id"], "--revision", "extra-file"]) == 1
    assert "data/extra.parquet is in the snapshot but in neither" in capsys.readouterr().err


def test_verify_fails_when_the_local_download_is_corrupted(published, capsys):
    assert verify_main([published["repo_id"], "--revision", published["tag"]]) == 0
    cached = Path(hf_hub_download(published["repo_id"], "NOTICE", repo_type="dataset",
                                  revision=published["tag"])).resolve()
    original = cached.read_bytes()
    cached.write_bytes(original.replace(b"Bird", b"Bat"))
    try:
        capsys.readouterr()
        assert verify_main([published["repo_id"], "--revision", published["tag"]]) == 1
        assert "NOTICE: sha256 " in capsys.readouterr().err
    finally:
        cached.write_bytes(original)


def test_verify_fails_clearly_on_an_unknown_revision(published, capsys):
    assert verify_main([published["repo_id"], "--revision", "no-such-tag"]) == 1
    assert "cannot download it: not found on the Hub (404)" in capsys.readouterr().err


def test_records_that_disagree_with_each_other_are_reported(tmp_path):
    parquet = tmp_path / "data.parquet"
    parquet.write_bytes(other_parquet())
    provenance = {"files": {DATA_FILE: {"sha256": "a" * 64}}, "license": {"license": {"spdx": "CC0-1.0"}}}
    croissant = {"license": ["https://spdx.org/licenses/MIT.html"], "distribution": [
        {"@type": "cr:FileObject", "contentUrl": DATA_FILE, "encodingFormat": "application/x-parquet",
         "sha256": "b" * 64}]}
    for name, record in (("provenance.json", provenance), ("croissant.json", croissant)):
        (tmp_path / name).write_text(json.dumps(record))
    result = verify_files({DATA_FILE: parquet, "provenance.json": tmp_path / "provenance.json",
                           "croissant.json": tmp_path / "croissant.json"})
    assert f"{DATA_FILE}: provenance.json and croissant.json record different sha256s" in result.problems
    assert any(problem.startswith(f"{DATA_FILE}: sha256 ") for problem in result.problems)
    assert any(problem.startswith("croissant.json states license") for problem in result.problems)
    assert result.verified == {}
