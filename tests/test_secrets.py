"""The Hub token never leaks: not in output, logs, Dagster events, the warehouse, snapshots or published files."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from huggingface_hub import snapshot_download

from pipelines.run import main as run_main


def files_containing(root: Path, secret: bytes) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and secret in path.read_bytes()]


def test_token_appears_nowhere_after_a_full_run(tmp_path, monkeypatch, capfd):
    token = os.environ["HF_TOKEN"]
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse" / "warehouse.duckdb"))
    monkeypatch.setenv("HUB_NAMESPACE", f"secrets-{uuid.uuid4().hex[:8]}")
    assert run_main(["--dataset", "mauna-loa-co2", "--dataset", "world-countries"]) == 0

    output = capfd.readouterr()
    assert "published" in output.out
    assert token not in output.out and token not in output.err
    assert any(dagster_home.rglob("*.db")), "the Dagster event log was not written where we search"
    assert files_containing(dagster_home, token.encode()) == []
    assert files_containing(tmp_path / "warehouse", token.encode()) == []
    published = Path(snapshot_download(f"{os.environ['HUB_NAMESPACE']}/mauna-loa-co2", repo_type="dataset",
                                       cache_dir=tmp_path / "download"))
    assert (published / "README.md").is_file()
    assert files_containing(published, token.encode()) == []
