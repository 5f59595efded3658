"""The Hub token and the credentials in a catalog URL never leak: not in output, logs, Dagster events, the
warehouse, snapshots or published files."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import yaml
from huggingface_hub import DatasetCard, snapshot_download

from pipelines.local_services import environment, file_server
from pipelines.run import main as run_main

BUNDLED_LICENSE = Path(__file__).resolve().parent.parent / "catalog" / "data" / "mauna-loa-co2" / "LICENSE"
PUBLIC = "93.184.216.34"


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


def warehouse_values(warehouse: Path) -> str:
    """Every value of every warehouse table, as text (the file itself may store strings compressed)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
        return "\n".join(str(connection.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall())
                         for schema, table in tables)


def test_credentials_in_catalog_urls_appear_nowhere_after_a_full_run(tmp_path, monkeypatch, capfd, network):
    """A public source with user:password and a key in its URL is fetched with them and published without them; a
    URL that would interpolate HF_TOKEN fails its dataset, naming the variable and not its value."""
    secrets = [os.environ["HF_TOKEN"], "pw-9471", "k-5827"]
    data = tmp_path / "catalog" / "data" / "levels"
    data.mkdir(parents=True)
    (data / "levels.jsonl").write_text('{"id": 1, "level": 1.5}\n{"id": 2, "level": 2.25}\n')
    shutil.copy(BUNDLED_LICENSE, data / "LICENSE")
    (data / "NOTICE").write_text("Copyright 2024 Example Survey Org.\n")
    common = {"format": "jsonl", "license": "CC-BY-4.0", "key_columns": ["id"]}
    catalog = tmp_path / "catalog" / "catalog.yaml"
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    namespace = f"keyed-{uuid.uuid4().hex[:8]}"
    with file_server(tmp_path / "catalog" / "data") as base:
        port = int(base.rsplit(":", 1)[1])
        catalog.write_text(yaml.safe_dump({"datasets": [
            {"id": "keyed", "title": "Keyed", **common, "source": {"kind": "http", "url": (
                f"http://reader:pw-9471@data.example.org:{port}/levels/levels.jsonl?api_key=k-5827")}},
            {"id": "leaky", "title": "Leaky", **common, "source": {
                "kind": "http", "url": "${CATALOG_HTTP_BASE}/levels/levels.jsonl?api_key=${HF_TOKEN}"}},
        ]}))
        network.names["data.example.org"] = [PUBLIC]  # a public host, as far as the pipeline can tell
        network.routes[PUBLIC, port] = ("127.0.0.1", port)
        with environment(DAGSTER_HOME=str(dagster_home), WAREHOUSE_PATH=str(tmp_path / "warehouse" / "w.duckdb"),
                         HUB_NAMESPACE=namespace, CATALOG_PATH=str(catalog),
                         CATALOG_HTTP_BASE=f"http://data.example.org:{port}"):
            assert run_main([]) == 1  # leaky fails
        published = Path(snapshot_download(f"{namespace}/keyed", repo_type="dataset", cache_dir=tmp_path / "dl"))

    output = capfd.readouterr()
    assert any(dagster_home.rglob("*.db")), "the Dagster event log was not written where we search"
    lines = {line.split()[0]: line for line in output.out.splitlines() if line.split()}
    assert "published" in lines["keyed"]
    assert "FAILED" in lines["leaky"] and "uses ${HF_TOKEN}: a variable named like a secret" in lines["leaky"]
    provenance = json.loads((published / "provenance.json").read_text())
    assert provenance["source"]["uri"] == f"http://data.example.org:{port}/levels/levels.jsonl"
    assert DatasetCard.load(published / "README.md").data.source_datasets == [provenance["source"]["uri"]]
    stored = warehouse_values(tmp_path / "warehouse" / "w.duckdb")
    assert f"data.example.org:{port}/levels/levels.jsonl?api_key=REDACTED" in stored
    for secret in secrets:
        assert secret not in output.out and secret not in output.err, secret
        assert secret not in stored, secret
        for root in (dagster_home, tmp_path / "warehouse", published):
            assert files_containing(root, secret.encode()) == [], (secret, root)
