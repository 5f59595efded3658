"""OBJECT_STORE_URL: the raw store and the snapshots kept on S3-compatible storage (moto's server here), so a machine
without its local copies restores them from the bucket; an unusable store fails with one line naming it, and the
credentials appear nowhere."""

from __future__ import annotations

import hashlib
import shutil
import socket
import uuid
from pathlib import Path

import duckdb
import pytest
import yaml
from moto.server import ThreadedMotoServer
from pyarrow import fs

from assets import object_store
from pipelines.run import main as run_main

BUNDLED = Path(__file__).resolve().parent.parent / "catalog"
BUCKET = "governance-shared"
PREFIX = "team/data"
KEY_ID = "AKIAOBJECTSTORETEST7"
SECRET = "objectStoreTestSecret+q9Zr4Lw2Vx8Tn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3(monkeypatch):
    """moto's S3 server on a free port with an empty bucket; dummy credentials in this test's environment only."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
                        "OBJECT_STORE_URL": f"s3://{BUCKET}/{PREFIX}"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    bucket = fs.S3FileSystem(endpoint_override=endpoint, allow_bucket_creation=True)
    bucket.create_dir(BUCKET)
    yield bucket
    server.stop()


def stored_objects(bucket: fs.S3FileSystem) -> dict[str, bytes]:
    """Every object under the prefix: key relative to it -> bytes."""
    infos = bucket.get_file_info(fs.FileSelector(f"{BUCKET}/{PREFIX}", recursive=True))
    objects = {}
    for info in infos:
        if info.is_file:
            with bucket.open_input_stream(info.path) as stream:
                objects[info.path.removeprefix(f"{BUCKET}/{PREFIX}/")] = stream.read()
    return objects


def local_files(root: Path) -> dict[str, bytes]:
    """Every kept file under the warehouse's raw/ and snapshots/ (no work files), by the key it has in the store."""
    files = {}
    for path in sorted((root / "raw").rglob("*")) + sorted((root / "snapshots").rglob("*")):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts):
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """One dataset of one file (with its LICENSE and NOTICE) and one of two splits."""
    data = tmp_path / "catalog" / "data"
    shutil.copytree(BUNDLED / "data" / "palmer-penguins", data / "penguins")
    (data / "readings").mkdir()
    (data / "readings" / "train.jsonl").write_text('{"site": "a", "ppm": 410.5}\n{"site": "b", "ppm": 411.0}\n')
    (data / "readings" / "test.jsonl").write_text('{"site": "c", "ppm": 412.25}\n')
    catalog = {"datasets": [
        {"id": "penguins", "title": "Penguins", "format": "csv", "license": "CC0-1.0", "null_values": ["NA"],
         "source": {"kind": "file", "path": "data/penguins/penguins.csv"}},
        {"id": "readings", "title": "Readings", "format": "jsonl", "license": "CC0-1.0",
         "source": {"kind": "file", "splits": {"train": "data/readings/train.jsonl",
                                               "test": "data/readings/test.jsonl"}}},
    ]}
    (tmp_path / "catalog" / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))  # the run's event log, searched below
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse" / "warehouse.duckdb"))
    monkeypatch.setenv("CATALOG_PATH", str(tmp_path / "catalog" / "catalog.yaml"))
    monkeypatch.setenv("HUB_NAMESPACE", f"objects-{uuid.uuid4().hex[:8]}")
    return tmp_path


def warehouse_values(warehouse: Path) -> str:
    """Every value of every warehouse table, as text (the file itself may store strings compressed)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
        return "\n".join(str(connection.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall())
                         for schema, table in tables)


def latest_fetch_unchanged(warehouse: Path, dataset_id: str) -> bool:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute("SELECT unchanged FROM governance.sources WHERE dataset_id = ?"
                                  " ORDER BY checked_at DESC LIMIT 1", [dataset_id]).fetchone()[0]


def test_a_run_keeps_everything_in_the_bucket_and_a_machine_without_local_copies_restores_them(s3, workspace,
                                                                                               capfd):
    root = workspace / "warehouse"
    assert run_main([]) == 0, capfd.readouterr().out
    kept = local_files(root)
    raw = {key: data for key, data in kept.items() if key.startswith("raw/")}
    snapshots = {key: data for key, data in kept.items() if key.startswith("snapshots/")}
    # penguins.csv, LICENSE, NOTICE, two JSONL files and the manifest of the source of several files.
    assert len(raw) >= 5 and all(hashlib.sha256(data).hexdigest() == key.rsplit("/", 1)[1]
                                 for key, data in raw.items())
    assert {Path(key).name for key in snapshots} == {"data.parquet", "provenance.json", "train.parquet",
                                                     "test.parquet"}
    assert stored_objects(s3) == kept  # every raw blob and snapshot file, byte for byte, under <prefix>/

    # A machine with the warehouse but neither the raw store nor the snapshot folders: not forced, nothing is
    # downloaded from the sources (upstream unchanged), and the snapshots come back as they were made.
    shutil.rmtree(root / "raw")
    shutil.rmtree(root / "snapshots")
    assert run_main([]) == 0, capfd.readouterr().out
    assert local_files(root) == kept
    warehouse = root / "warehouse.duckdb"
    assert latest_fetch_unchanged(warehouse, "penguins") and latest_fetch_unchanged(warehouse, "readings")
    assert "unchanged since" in capfd.readouterr().out

    # Forced: the source is downloaded again, and the snapshot is still the one from the bucket, not rewritten
    # (its provenance.json names the run that made it).
    shutil.rmtree(root / "raw")
    shutil.rmtree(root / "snapshots")
    assert run_main(["--dataset", "penguins", "--force"]) == 0, capfd.readouterr().out
    assert not latest_fetch_unchanged(warehouse, "penguins")
    now = local_files(root)
    assert now.items() <= kept.items()
    assert {key for key in kept if key.startswith("snapshots/penguins/")} <= set(now)
    restored = [path for path in (root / "snapshots").rglob("*") if path.is_file()]
    assert restored and all(path.stat().st_mode & 0o222 == 0 for path in restored)  # read-only, as written

    output = capfd.readouterr()
    for credential in (KEY_ID, SECRET):
        assert credential not in output.out + output.err
        assert [path for path in workspace.rglob("*") if path.is_file() and credential.encode() in
                path.read_bytes()] == []  # the event log (logs, metadata), the warehouse file, the snapshots
        assert credential not in warehouse_values(warehouse)
        assert all(credential.encode() not in data for data in stored_objects(s3).values())
    assert any((workspace / "dagster_home").rglob("*.db")), "the Dagster event log was not written where we search"


def outcome_line(output: str, dataset_id: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith(dataset_id)]
    return line


def test_an_unreachable_store_fails_each_dataset_with_one_line_naming_it(s3, workspace, monkeypatch, capfd):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    assert run_main(["--dataset", "penguins"]) == 1
    output = capfd.readouterr()
    line = outcome_line(output.out, "penguins")
    assert f"FAILED: object store s3://{BUCKET}/{PREFIX} (endpoint {endpoint}): could not" in line
    assert "connect" in line.lower()
    assert KEY_ID not in output.out + output.err and SECRET not in output.out + output.err


def test_a_missing_bucket_fails_with_one_line_naming_it(s3, workspace, monkeypatch, capfd):
    monkeypatch.setenv("OBJECT_STORE_URL", "s3://no-such-bucket/data")
    assert run_main(["--dataset", "penguins"]) == 1
    line = outcome_line(capfd.readouterr().out, "penguins")
    assert "FAILED: object store s3://no-such-bucket/data (endpoint http://127.0.0.1:" in line
    assert "the bucket no-such-bucket does not exist" in line


def test_credentials_in_the_url_are_refused_without_being_repeated(monkeypatch):
    monkeypatch.setenv("OBJECT_STORE_URL", f"s3://{KEY_ID}:{SECRET}@{BUCKET}/{PREFIX}")
    with pytest.raises(object_store.ObjectStoreError) as refused:
        object_store.configured()
    assert "OBJECT_STORE_URL must be s3://bucket/prefix" in str(refused.value)
    assert KEY_ID not in str(refused.value) and SECRET not in str(refused.value)


def test_a_raw_object_whose_bytes_do_not_match_its_name_is_refused(s3, tmp_path):
    data = b"site,ppm\na,410.5\n"
    sha256 = hashlib.sha256(data).hexdigest()
    with s3.open_output_stream(f"{BUCKET}/{PREFIX}/raw/{sha256[:2]}/{sha256}") as stream:
        stream.write(b"site,ppm\na,999.9\n")  # same size, other bytes
    missing = tmp_path / "raw" / sha256[:2] / sha256
    with pytest.raises(object_store.ObjectStoreError, match="not the ones its name says"):
        object_store.restore_raw_blobs([missing])
    assert not missing.exists() and [p.name for p in (tmp_path / "raw").iterdir() if p.is_file()] == []
    with s3.open_output_stream(f"{BUCKET}/{PREFIX}/raw/{sha256[:2]}/{sha256}") as stream:
        stream.write(data)
    assert object_store.restore_raw_blobs([missing]) == [sha256]
    assert missing.read_bytes() == data
