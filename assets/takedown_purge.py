"""What a takedown removes from the warehouse, and the record of it that stays: a purged snapshot's Parquet files,
provenance.json and raw source bytes are deleted, its `governance.snapshots` row is kept and marked `purged_at`;
`governance.takedowns` lists each applied request, how many rows it removed and the snapshots it purged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from assets.object_store import unshare
from assets.splits import snapshot_splits
from assets.takedown_rows import matching_rows
from assets.takedowns import TakedownError, TakedownRequest
from assets.warehouse import Warehouse, as_json


def record_applied(warehouse: Warehouse, requests: list[TakedownRequest], applied: list[dict], run_id: str) -> None:
    """The row requests a new snapshot applied; a request keeps the record of its first application."""
    removed = {item["request"]: item["rows_removed"] for item in applied}
    with warehouse.connect() as connection:
        for request in requests:
            connection.execute(
                "INSERT INTO governance.takedowns VALUES (?, ?, ?, ?, 'rows', ?, '[]', now(), ?)"
                " ON CONFLICT (request_id) DO NOTHING",
                [request.request_id, request.dataset_id, request.requested_by, request.requested_on,
                 removed.get(request.request_id, 0), run_id])


def add_purged(warehouse: Warehouse, request_ids: list[str], snapshot_ids: list[str]) -> None:
    with warehouse.connect() as connection:
        for request_id in request_ids:
            row = connection.execute("SELECT snapshots_purged FROM governance.takedowns WHERE request_id = ?",
                                     [request_id]).fetchone()
            if row is not None:
                purged = sorted(set(json.loads(row[0] or "[]")) | set(snapshot_ids))
                connection.execute("UPDATE governance.takedowns SET snapshots_purged = ? WHERE request_id = ?",
                                   [as_json(purged), request_id])


def holds_rows(row: dict, requests: list[TakedownRequest]) -> bool:
    """Whether an older snapshot holds any of the requests' rows, read contained from its Parquet files. Unknown
    (its files are gone, or a request's column or predicate does not apply to it) counts as holding them."""
    try:
        splits = snapshot_splits(row)
    except ValueError:
        return True
    for split in splits.values():
        if not split.parquet_path.is_file():
            return True
        try:
            if any(matching_rows(split.parquet_path, [c["name"] for c in split.columns], requests).values()):
                return True
        except TakedownError:
            return True
    return False


def purge_files(warehouse: Warehouse, dataset_id: str, snapshot_ids: list[str]) -> None:
    """Delete the snapshots' folders (Parquet, provenance.json), their views and the raw bytes they were made of;
    mark them purged (and retired: no longer anyone's latest). The next run downloads the source again, and its
    snapshot lacks the rows again."""
    if not snapshot_ids:
        return
    marks = ", ".join("?" for _ in snapshot_ids)
    rows = warehouse.fetch_all(f"SELECT * FROM governance.snapshots WHERE snapshot_id IN ({marks})", snapshot_ids)
    sources = warehouse.fetch_all(
        "SELECT raw_path, inputs FROM governance.sources WHERE dataset_id = ? AND raw_sha256 IN"
        f" (SELECT content_sha256 FROM governance.snapshots WHERE snapshot_id IN ({marks}))",
        [dataset_id, *snapshot_ids])
    with warehouse.transaction() as connection:
        connection.execute("UPDATE governance.snapshots SET purged_at = coalesce(purged_at, now()),"
                           f" retired_at = coalesce(retired_at, now()) WHERE snapshot_id IN ({marks})", snapshot_ids)
        views = connection.execute(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'snapshots' AND"
            f" list_contains([{marks}], split_part(view_name, '/', 1))", snapshot_ids).fetchall()
        for (view,) in views:
            connection.execute(f'DROP VIEW IF EXISTS snapshots."{view}"')
    folders = {folder for row in rows for folder in {Path(row["parquet_path"]).parent} | _split_folders(row)}
    delete_files(folders, [path for source in sources for path in raw_files(source)])


def raw_files(source: dict) -> list[str]:
    """The raw store's data files of a fetch (the file, or each of several); the license evidence stays."""
    return [source["raw_path"], *(item["path"] for item in json.loads(source["inputs"] or "[]"))]


def delete_files(folders: set[Path], raw_paths: list[str]) -> None:
    """Here and in the object store (OBJECT_STORE_URL), so no later run fetches them back."""
    unshare(raw_paths, folders)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    for path in raw_paths:
        Path(path).unlink(missing_ok=True)


def _split_folders(row: dict) -> set[Path]:
    try:
        return {split.parquet_path.parent for split in snapshot_splits(row).values()}
    except ValueError:
        return set()


def taken_down_dataset(warehouse: Warehouse, dataset_id: str, request: TakedownRequest, run_id: str) -> list[str]:
    """A takedown of the whole dataset in the warehouse: every snapshot's files and every raw byte go (the source's
    too, even with no snapshot made of it yet); the request is recorded. Returns the snapshots purged now."""
    snapshots = warehouse.fetch_all("SELECT snapshot_id, row_count FROM governance.snapshots WHERE dataset_id = ?"
                                    " AND purged_at IS NULL ORDER BY coalesce(current_at, created_at) DESC",
                                    [dataset_id])
    purged = [row["snapshot_id"] for row in snapshots]
    purge_files(warehouse, dataset_id, purged)
    sources = warehouse.fetch_all("SELECT raw_path, inputs FROM governance.sources WHERE dataset_id = ?",
                                  [dataset_id])
    delete_files(set(), [path for source in sources for path in raw_files(source)])
    with warehouse.connect() as connection:
        connection.execute(
            "INSERT INTO governance.takedowns VALUES (?, ?, ?, ?, 'dataset', ?, '[]', now(), ?)"
            " ON CONFLICT (request_id) DO NOTHING",
            [request.request_id, dataset_id, request.requested_by, request.requested_on,
             snapshots[0]["row_count"] if snapshots else None, run_id])
    add_purged(warehouse, [request.request_id], purged)
    return purged


def dataset_taken_down(warehouse: Warehouse, dataset_id: str) -> str | None:
    """The request id of the dataset's takedown, when the whole dataset was taken down."""
    row = warehouse.fetch_one("SELECT request_id FROM governance.takedowns WHERE dataset_id = ? AND scope = 'dataset'"
                              " ORDER BY applied_at LIMIT 1", [dataset_id])
    return row["request_id"] if row else None
