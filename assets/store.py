"""Store: the dataset as an immutable zstd Parquet snapshot, registered in the DuckDB warehouse."""

import json
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit, urlunsplit

import dagster as dg

from assets import CODE_VERSION
from assets.catalog import CatalogEntry, load_catalog
from assets.convert import ConversionError, ParquetFile
from assets.derived import derived_record, published_name, recorded_inputs
from assets.fetch_many import input_name
from assets.guards import is_public_url
from assets.hub import HubTarget
from assets.identity import SNAPSHOT_FORMAT, snapshot_id_for_decision
from assets.lineage import emits_lineage
from assets.object_store import share_snapshot, sync_snapshot
from assets.partitions import dataset_partitions
from assets.provenance import latest_source, license_decision
from assets.shards import shard_name
from assets.split_convert import convert_one, convert_splits
from assets.splits import DEFAULT_SPLIT
from assets.sql import sql_string
from assets.takedown_hub import enforce_row_takedowns
from assets.takedown_purge import record_applied, taken_down_dataset
from assets.takedown_rows import remove_taken_down_rows
from assets.takedowns import dataset_takedowns, row_takedowns, whole_dataset_request
from assets.warehouse import WAREHOUSE_POOL, Warehouse, as_json
from assets.workfiles import held_folder, remove_stale
from licenses.info import license_label

READ_ONLY = 0o444


@dg.asset(
    partitions_def=dataset_partitions,
    deps=[license_decision],
    group_name="store",
    code_version=SNAPSHOT_FORMAT,
    kinds={"duckdb", "parquet"},
    pool=WAREHOUSE_POOL,
)
@emits_lineage
def snapshot(context: dg.AssetExecutionContext, warehouse: Warehouse, hub: HubTarget) -> dg.MaterializeResult:
    """The dataset as an immutable, content-addressed zstd Parquet snapshot with its provenance.json beside it,
    registered in the DuckDB warehouse (`governance.snapshots`, view `snapshots."<snapshot_id>"`).
    Unchanged source bytes give the same snapshot id, so a re-run writes nothing. Old snapshots are retired
    (files and view dropped, record kept) beyond the last `keep_snapshots`; published ones are always kept.
    The rows of the dataset's takedown requests (`takedowns/` beside the catalog) are not in it, and the published
    snapshots holding them are purged from the Hub here, before this one is checked (assets/takedown_hub.py); a
    request for the whole dataset makes no snapshot and deletes the dataset's snapshot files and raw bytes."""
    entry = load_catalog().get(context.partition_key)
    whole = whole_dataset_request(dataset_takedowns(entry.id))
    if whole:
        purged = taken_down_dataset(warehouse, entry.id, whole, context.run_id)
        context.log.warning(f"{entry.id}: taken down ({whole.label}): no snapshot; files of "
                            f"{', '.join(purged) or 'no snapshot'} deleted")
        return dg.MaterializeResult(metadata={"status": f"taken down ({whole.request_id})",
                                              "takedown_request": whole.request_id, "purged_snapshots": purged})
    left = remove_stale(warehouse.snapshots_dir / entry.id, ".*-*")
    if left:
        context.log.info(f"{entry.id}: removed work folders a killed run left: {', '.join(left)}")
    source, snapshot_id, existing = run_snapshot(warehouse, entry, context.run_id)
    if existing and existing["retired_at"] is None and Path(existing["parquet_path"]).is_file():
        context.log.info(f"{entry.id}: source unchanged, snapshot {snapshot_id} already registered")
        with warehouse.connect() as connection:
            connection.execute("UPDATE governance.snapshots SET current_at = now() WHERE snapshot_id = ?",
                               [snapshot_id])
        status = f"unchanged since {existing['created_at']:%Y-%m-%d %H:%M:%S %Z}: snapshot reused, nothing rewritten"
        takedowns = enforce_row_takedowns(context, warehouse, hub, entry, snapshot_id)
        return snapshot_result(warehouse, snapshot_id, status=status, takedowns=takedowns)
    _write_snapshot(context, warehouse, entry, source, snapshot_id, decision_record(warehouse, entry.id))
    # Once the snapshot without the rows is made (each request checked against it), before its checks.
    takedowns = enforce_row_takedowns(context, warehouse, hub, entry, snapshot_id)
    share_snapshot(warehouse.snapshots_dir / entry.id / snapshot_id)  # registered: also in OBJECT_STORE_URL's store
    retired = retire_old_snapshots(warehouse, entry.id)
    if retired:
        context.log.info(f"{entry.id}: retention retired {', '.join(retired)}")
    return snapshot_result(warehouse, snapshot_id, status="new snapshot", retired=retired, takedowns=takedowns)


def run_snapshot(warehouse: Warehouse, entry: CatalogEntry, run_id: str) -> tuple[dict, str, dict | None]:
    """This run's source, the id of the snapshot made from it under the current license decision and that
    snapshot's record (None until made)."""
    source = latest_source(warehouse, entry.id, run_id)
    # Each request's rows as well as its id: a request edited under the same id is applied again.
    takedowns = [{"request": request.request_id, "rows": request.predicate()} for request in row_takedowns(entry)]
    snapshot_id = snapshot_id_for_decision(entry, input_sha256s(source), decision_record(warehouse, entry.id),
                                           takedowns)
    existing = warehouse.fetch_one("SELECT * FROM governance.snapshots WHERE snapshot_id = ?", [snapshot_id])
    sync_snapshot(existing)  # OBJECT_STORE_URL: files missing here are fetched back before anything reads them
    return source, snapshot_id, existing


def input_sha256s(source: dict) -> list[str]:
    """What the snapshot is made of: the source's sha256 (a manifest, for several files) and each file's."""
    return [source["raw_sha256"], *(item["sha256"] for item in source_inputs(source))]


def source_inputs(source: dict) -> list[dict]:
    """A source of several files: each one (split, name, sha256, size, stored path, format); [] for one file."""
    return json.loads(source.get("inputs") or "[]")


def decision_record(warehouse: Warehouse, dataset_id: str) -> dict:
    row = warehouse.fetch_one("SELECT decision_record FROM governance.datasets WHERE dataset_id = ?", [dataset_id])
    if row is None:
        raise RuntimeError(f"{dataset_id}: no license decision yet; materialise license_decision first")
    return json.loads(row["decision_record"])


def _write_snapshot(context, warehouse: Warehouse, entry: CatalogEntry, source: dict, snapshot_id: str,
                    decision_record: dict) -> None:
    """Write into a hidden temporary folder and rename it only once complete: no partial snapshot is visible.
    The conversion streams (DuckDB COPY), and the warehouse is locked only for the final registration."""
    dataset_dir = warehouse.snapshots_dir / entry.id
    dataset_dir.mkdir(parents=True, exist_ok=True)
    final_dir = dataset_dir / snapshot_id
    work_dir = Path(tempfile.mkdtemp(prefix=f".{snapshot_id}-", dir=dataset_dir))
    try:
        with held_folder(work_dir):  # a live snapshot's work folder is never taken for a killed run's leftover
            shown = source_name(entry, source)
            try:
                if source_inputs(source):
                    splits = convert_splits(entry, source_inputs(source), work_dir)
                else:
                    splits = {DEFAULT_SPLIT: convert_one(entry, Path(source["raw_path"]), entry.format,
                                                         work_dir / "data.parquet", shown)}
            except ConversionError as error:
                raise ConversionError(f"{entry.id} ({shown}): {error}") from None
            requests = row_takedowns(entry)
            splits, applied = remove_taken_down_rows(splits, requests) if requests else (splits, [])
            provenance = provenance_record(entry, source, snapshot_id, splits, decision_record, context.run_id,
                                           applied)
            (work_dir / "provenance.json").write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n")
            for path in work_dir.iterdir():
                path.chmod(READ_ONLY)  # immutable: a snapshot's files are never written again
            if final_dir.exists():  # left by an interrupted run before registration: replace it
                shutil.rmtree(final_dir)
            work_dir.rename(final_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    _register(warehouse, entry, source, snapshot_id, splits, final_dir, provenance, context.run_id)
    record_applied(warehouse, requests, applied, context.run_id)


def _register(warehouse: Warehouse, entry: CatalogEntry, source: dict, snapshot_id: str,
              splits: dict[str, ParquetFile], final_dir: Path, provenance: dict, run_id: str) -> None:
    """One short transaction once the files are complete. A retired snapshot whose bytes come back is revived.
    Each split is the view `snapshots."<snapshot_id>/<split>"`; `snapshots."<snapshot_id>"` is the first split."""
    split_paths = {split: final_dir / parquet.path.name for split, parquet in splits.items()}
    first = next(iter(splits))
    parquet, parquet_path = splits[first], split_paths[first]
    split_records = {split: {"parquet_path": str(split_paths[split]), "row_count": part.row_count,
                             "sha256": part.sha256, "columns": part.columns}
                     for split, part in splits.items()}
    with warehouse.transaction() as connection:
        connection.execute(
            "INSERT INTO governance.snapshots (snapshot_id, dataset_id, row_count, content_sha256, parquet_sha256,"
            " parquet_path, columns, created_at, current_at, run_id, splits)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, now(), now(), ?, ?)"
            " ON CONFLICT (snapshot_id) DO UPDATE SET row_count = excluded.row_count,"
            " parquet_sha256 = excluded.parquet_sha256, parquet_path = excluded.parquet_path,"
            " columns = excluded.columns, current_at = now(), retired_at = NULL, run_id = excluded.run_id,"
            " splits = excluded.splits",
            [snapshot_id, entry.id, sum(part.row_count for part in splits.values()), source["raw_sha256"],
             parquet.sha256, str(parquet_path), as_json(parquet.columns), run_id,
             json.dumps(split_records) if source_inputs(source) else None],
        )
        connection.execute("INSERT OR REPLACE INTO governance.provenance VALUES (?, ?, ?)",
                           [snapshot_id, entry.id, as_json(provenance)])
        connection.execute(f'CREATE OR REPLACE VIEW snapshots."{snapshot_id}" AS '
                           f"SELECT * FROM read_parquet({sql_string(parquet_path)})")
        for split, path in split_paths.items():
            connection.execute(f'CREATE OR REPLACE VIEW snapshots."{snapshot_id}/{split}" AS '
                               f"SELECT * FROM read_parquet({sql_string(path)})")


def retire_old_snapshots(warehouse: Warehouse, dataset_id: str) -> list[str]:
    """Retention: keep the dataset's last `keep_snapshots` snapshots, every published one and the latest vetted
    one; retire the rest. The record stays (audit); the view and the files go, after the commit, so a crash can
    leave an orphan folder but never a registered snapshot without its files."""
    with warehouse.transaction() as connection:
        retired = connection.execute(
            "SELECT snapshot_id, parquet_path FROM ("
            "  SELECT *, row_number() OVER (ORDER BY coalesce(current_at, created_at) DESC) AS recency"
            "  FROM governance.snapshots WHERE dataset_id = ? AND retired_at IS NULL)"
            " WHERE recency > ? AND published_tag IS NULL"
            " AND snapshot_id NOT IN (SELECT snapshot_id FROM governance.latest_vetted_snapshots)",
            [dataset_id, warehouse.keep_snapshots],
        ).fetchall()
        for snapshot_id, _ in retired:
            connection.execute("UPDATE governance.snapshots SET retired_at = now() WHERE snapshot_id = ?",
                               [snapshot_id])
            views = connection.execute("SELECT view_name FROM duckdb_views() WHERE schema_name = 'snapshots'"
                                       " AND (view_name = ? OR starts_with(view_name, ?))",
                                       [snapshot_id, f"{snapshot_id}/"]).fetchall()
            for (view,) in views:
                connection.execute(f'DROP VIEW IF EXISTS snapshots."{view}"')
    for _, parquet_path in retired:
        shutil.rmtree(Path(parquet_path).parent, ignore_errors=True)
    return [snapshot_id for snapshot_id, _ in retired]


def provenance_record(entry: CatalogEntry, source: dict, snapshot_id: str, splits: dict[str, ParquetFile],
                      decision_record: dict, run_id: str, takedowns: list[dict] = ()) -> dict:
    """`takedowns`: [{request, rows_removed}] of the requests whose rows the snapshot lacks (never the values)."""
    parquet = next(iter(splits.values()))
    several = {
        "inputs": [{key: item[key] for key in ("split", "name", "size_bytes", "sha256", "format")}
                   | {"name": input_name(item["name"]) if source["source_kind"] != "hub" else item["name"]}
                   for item in source_inputs(source)],
        "splits": {split: {"row_count": part.row_count, "columns": part.columns} for split, part in splits.items()},
    } if source_inputs(source) else {}
    return {
        "snapshot_id": snapshot_id,
        "dataset_id": entry.id,
        "title": entry.title,
        "source": {
            **source_location(entry, source),
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
        **({"derived_from": derived_record(recorded_inputs(source))} if recorded_inputs(source) else {}),
        # Each split's file under the name it is published by when it is one shard (assets/shards.py).
        "files": {shard_name(split, 0, 1): {"sha256": part.sha256, "size_bytes": part.path.stat().st_size}
                  for split, part in splits.items()},
        "row_count": sum(part.row_count for part in splits.values()),
        "columns": parquet.columns,
        **several,
        "conversion": {"renamed_columns": [c for part in splits.values() for c in part.renamed_columns],
                       "retyped_columns": [c for part in splits.values() for c in part.retyped_columns]},
        "pipeline": {"code_version": CODE_VERSION, "snapshot_format": SNAPSHOT_FORMAT, "dagster_run_id": run_id},
        **({"takedowns": list(takedowns)} if takedowns else {}),
    }


def source_name(entry: CatalogEntry, source: dict) -> str:
    """The source as the steward knows it, for messages: the file's path, the URL as recorded (credentials
    redacted) or the file in the Hub repo; never the raw store's copy."""
    return entry.source.describe() if source["source_kind"] == "hub" else source["source_uri"]


def source_location(entry: CatalogEntry, source: dict) -> dict:
    """Where the source is, as provenance.json (which is published) says it: its kind, its file name and, only
    when it is public (a Hub repo, or an http(s) URL whose host resolves only to public addresses), its `uri`. A
    local file or a URL on a loopback, private or link-local network never leaves the machine: the steward finds
    its full location in governance.sources."""
    kind, uri = source["source_kind"], source["source_uri"]
    if kind == "derived":  # the query is the steward's catalog text: published, so the result can be re-made
        inputs = ", ".join(f"{item['dataset_id']} ({published_name(item)})" for item in recorded_inputs(source))
        return {"kind": kind, "name": f"DuckDB query over {inputs}", "query": entry.source.query}
    if kind == "file":
        name = Path(uri).name
    elif kind == "http":
        name = unquote(PurePosixPath(urlsplit(uri).path).name)
    else:
        name = PurePosixPath(entry.source.path or "").name
    public = kind == "hub" or (kind == "http" and is_public_url(uri))
    if kind == "http":  # a query string may carry a key (`?api_key=${KEY}`): the published URL has none
        uri = urlunsplit(urlsplit(uri)._replace(query="", fragment=""))
    return {"kind": kind, **({"uri": uri} if public else {}), "name": name}


def snapshot_result(warehouse: Warehouse, snapshot_id: str, status: str, retired: list[str] | None = None,
                    takedowns: dict | None = None) -> dg.MaterializeResult:
    """What the snapshot knows when it is made: data, license, decision, provenance. Its checks' outcomes are on
    its checks (they run right after it), the Hub URL on hub_release (made later, and only when published)."""
    row = warehouse.fetch_one("SELECT * FROM governance.snapshots WHERE snapshot_id = ?", [snapshot_id])
    dataset = warehouse.fetch_one("SELECT * FROM governance.datasets WHERE dataset_id = ?", [row["dataset_id"]])
    record = warehouse.fetch_one("SELECT record FROM governance.provenance WHERE snapshot_id = ?", [snapshot_id])
    decision = json.loads(dataset["decision_record"])
    columns = json.loads(row["columns"])
    metadata = {
        "snapshot_id": snapshot_id,
        "status": status,
        "dagster/row_count": row["row_count"],
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=c["name"], type=c["type"]) for c in columns]),
        "dagster/uri": Path(row["parquet_path"]).as_uri(),
        "dagster/table_name": f'snapshots."{snapshot_id}"',
        "license": dg.MetadataValue.md(license_summary(decision)),
        "decision": decision["decision"],
        "decision_reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in decision["reasons"]) or "none"),
        "provenance": dg.MetadataValue.json(json.loads(record["record"])),
        "content_sha256": row["content_sha256"],
        "parquet_sha256": row["parquet_sha256"],
    }
    if retired:
        metadata["retired_by_retention"] = retired
    metadata.update(takedowns or {})
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(snapshot_id))


def license_summary(decision: dict) -> str:
    license_info = decision["license"]
    sign_off = decision.get("sign_off")
    lines = [
        f"**{license_info.get('name') or license_label(license_info)}**"
        f" (SPDX `{license_info.get('spdx') or 'none'}`), use: {license_info.get('use')}, policy: {decision['policy']}",
        "",
        "Obligations:",
        *[f"- {obligation}" for obligation in decision.get("obligations") or ["none"]],
    ]
    if sign_off:
        lines += ["", f"Signed off by {sign_off['who']} on {sign_off['when']}: {sign_off['why']}"]
    return "\n".join(lines)


def latest_checks(warehouse: Warehouse, snapshot_id: str) -> list[dict]:
    """The outcomes the snapshot's last check run recorded (what its checks_passed says), by check name: a
    check an edited suite dropped no longer shows."""
    rows = warehouse.fetch_all(
        "SELECT check_name, severity, passed, observed, split FROM governance.check_results WHERE snapshot_id = ?"
        " QUALIFY run_id = first_value(run_id) OVER (ORDER BY checked_at DESC) ORDER BY check_name, position",
        [snapshot_id],
    )
    several = len({row["split"] for row in rows}) > 1  # then each outcome names its split: "row_count (test)"
    return [{"check_name": f"{row['check_name']} ({row['split']})" if several else row["check_name"],
             "severity": row["severity"], "passed": row["passed"], "observed": json.loads(row["observed"] or "{}")}
            for row in rows]
