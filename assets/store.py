"""Store: the dataset as an immutable zstd Parquet snapshot, registered in the DuckDB warehouse."""

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import dagster as dg

from assets import CODE_VERSION
from assets.catalog import CatalogEntry, load_catalog
from assets.convert import ConversionError, to_parquet
from assets.partitions import dataset_partitions
from assets.provenance import latest_source, license_decision
from assets.warehouse import Warehouse, as_json

# Bump when the conversion changes what a snapshot holds, so unchanged sources still get a new snapshot.
SNAPSHOT_FORMAT = "1"


@dg.asset(
    partitions_def=dataset_partitions,
    deps=[license_decision],
    group_name="store",
    code_version=SNAPSHOT_FORMAT,
    kinds={"duckdb", "parquet"},
)
def snapshot(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The dataset as an immutable, content-addressed zstd Parquet snapshot with its provenance.json beside it,
    registered in the DuckDB warehouse (`governance.snapshots`, view `snapshots."<snapshot_id>"`).
    Unchanged source bytes give the same snapshot id, so a re-run writes nothing."""
    entry = load_catalog().get(context.partition_key)
    source = latest_source(warehouse, entry.id, context.run_id)
    snapshot_id = snapshot_id_for(entry, source["raw_sha256"])
    existing = warehouse.fetch_one("SELECT * FROM governance.snapshots WHERE snapshot_id = ?", [snapshot_id])
    if existing and Path(existing["parquet_path"]).is_file():
        context.log.info(f"{entry.id}: source unchanged, snapshot {snapshot_id} already registered")
        return _result(existing, created=False)
    decision = warehouse.fetch_one("SELECT decision_record FROM governance.datasets WHERE dataset_id = ?", [entry.id])
    row = _write_snapshot(context, warehouse, entry, source, snapshot_id, json.loads(decision["decision_record"]))
    return _result(row, created=True)


def snapshot_id_for(entry: CatalogEntry, raw_sha256: str) -> str:
    recipe = f"{raw_sha256}:{entry.format}:{','.join(entry.null_values)}:{SNAPSHOT_FORMAT}"
    digest = hashlib.sha256(recipe.encode()).hexdigest()
    return f"{entry.id}-{digest[:12]}"


def _write_snapshot(context, warehouse: Warehouse, entry: CatalogEntry, source: dict, snapshot_id: str,
                    decision_record: dict) -> dict:
    """Write into a hidden temporary folder and rename it only once complete: no partial snapshot is visible."""
    dataset_dir = warehouse.snapshots_dir / entry.id
    dataset_dir.mkdir(parents=True, exist_ok=True)
    final_dir = dataset_dir / snapshot_id
    work_dir = Path(tempfile.mkdtemp(prefix=f".{snapshot_id}-", dir=dataset_dir))
    try:
        try:
            parquet = to_parquet(Path(source["raw_path"]), entry.format, work_dir / "data.parquet", entry.null_values)
        except ConversionError as error:
            raise ConversionError(f"{entry.id}: {error}") from None
        provenance = provenance_record(entry, source, snapshot_id, parquet, decision_record, context.run_id)
        (work_dir / "provenance.json").write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n")
        if final_dir.exists():  # left by an interrupted run before registration: replace it
            shutil.rmtree(final_dir)
        work_dir.rename(final_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    parquet_path = final_dir / "data.parquet"
    row = {
        "snapshot_id": snapshot_id, "dataset_id": entry.id, "row_count": parquet.row_count,
        "content_sha256": source["raw_sha256"], "parquet_sha256": parquet.sha256,
        "parquet_path": str(parquet_path), "columns": parquet.columns,
    }
    with warehouse.connect() as connection:
        connection.begin()
        connection.execute(
            "INSERT INTO governance.snapshots (snapshot_id, dataset_id, row_count, content_sha256, parquet_sha256,"
            " parquet_path, columns, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, now(), ?)",
            [snapshot_id, entry.id, parquet.row_count, source["raw_sha256"], parquet.sha256, str(parquet_path),
             as_json(parquet.columns), context.run_id],
        )
        connection.execute("INSERT INTO governance.provenance VALUES (?, ?, ?)",
                           [snapshot_id, entry.id, as_json(provenance)])
        connection.execute("CREATE SCHEMA IF NOT EXISTS snapshots")
        connection.execute(f'CREATE OR REPLACE VIEW snapshots."{snapshot_id}" AS '
                           f"SELECT * FROM read_parquet('{str(parquet_path).replace(chr(39), chr(39) * 2)}')")
        connection.commit()
    return row


def provenance_record(entry: CatalogEntry, source: dict, snapshot_id: str, parquet, decision_record: dict,
                      run_id: str) -> dict:
    return {
        "snapshot_id": snapshot_id,
        "dataset_id": entry.id,
        "title": entry.title,
        "source": {
            "kind": source["source_kind"],
            "uri": source["source_uri"],
            "retrieved_at": str(source["retrieved_at"]),
            "upstream_revision": source["upstream_revision"],
            "etag": source["etag"],
            "last_modified": source["last_modified"],
            "size_bytes": source["size_bytes"],
            "sha256": source["raw_sha256"],
            "homepage": entry.homepage,
            "origin": entry.origin,
        },
        "license": decision_record,
        "files": {"data/train-00000-of-00001.parquet": {"sha256": parquet.sha256,
                                                        "size_bytes": parquet.path.stat().st_size}},
        "row_count": parquet.row_count,
        "columns": parquet.columns,
        "pipeline": {"code_version": CODE_VERSION, "snapshot_format": SNAPSHOT_FORMAT, "dagster_run_id": run_id},
    }


def _result(row: dict, created: bool) -> dg.MaterializeResult:
    columns = row["columns"] if isinstance(row["columns"], list) else json.loads(row["columns"])
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": row["snapshot_id"],
            "created": created,
            "dagster/row_count": row["row_count"],
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(name=c["name"], type=c["type"]) for c in columns]
            ),
            "dagster/uri": Path(row["parquet_path"]).as_uri(),
            "dagster/table_name": f'snapshots."{row["snapshot_id"]}"',
            "content_sha256": row["content_sha256"],
            "parquet_sha256": row["parquet_sha256"],
        },
        data_version=dg.DataVersion(row["snapshot_id"]),
    )
