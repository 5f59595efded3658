"""Ingest: fetch a dataset's source and keep its raw bytes content-addressed; skip what upstream did not change."""

import json
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.catalog import CatalogEntry, load_catalog
from assets.derived import DerivedInputError, derived_record, input_snapshots, run_derived
from assets.fetch import FetchedSource, FetchError, KnownSource, RawStore, fetch
from assets.hub import HubTarget
from assets.lineage import emits_lineage
from assets.object_store import restore_raw_blobs, share_raw_blobs
from assets.opt_out import (data_response_headers, data_urls, header_opt_outs, opt_out_record,
                            recorded_signals, site_opt_outs)
from assets.partitions import dataset_partitions
from assets.takedowns import TakedownRequest, dataset_takedowns, whole_dataset_request
from assets.upstream_gone import fail_on_answer, note_present
from assets.warehouse import Warehouse, as_json
from assets.workfiles import remove_stale

SOURCE_COLUMNS = ("dataset_id", "retrieved_at", "source_kind", "source_uri", "upstream_revision", "etag",
                  "last_modified", "size_bytes", "raw_sha256", "raw_path", "evidence", "run_id", "source_key",
                  "checked_at", "unchanged", "inputs", "opt_out", "derived_from")


class RefreshConfig(dg.Config):
    """Launchpad config of raw_source."""

    force: bool = Field(default=False, description="Download the source again even when upstream reports it "
                                                   "unchanged (ETag / Last-Modified, Hub commit, file size+mtime).")
    confirm_upstream_gone: bool = Field(default=False, description="The source is gone for good (this run must find "
                                        "it gone too): apply the after-publishing policy now instead of waiting for "
                                        "the policy's consecutive checks. Needs confirmed_by.")
    confirmed_by: str | None = Field(default=None, description="Who confirms the upstream is gone (name or "
                                                               "e-mail): recorded as the withdrawal's decider.")


@dg.asset(
    partitions_def=dataset_partitions,
    group_name="ingest",
    code_version="1",
    kinds={"python"},
)
@emits_lineage
def raw_source(context: dg.AssetExecutionContext, config: RefreshConfig, warehouse: Warehouse,
               hub: HubTarget) -> dg.MaterializeResult:
    """The dataset's source bytes as fetched: a local file, an HTTP(S) URL or a Hub dataset at a pinned
    revision, stored by sha256, with where, when and what (URL or repo, ETag / Last-Modified or Hub commit,
    size, sha256) and the LICENSE / NOTICE / README files found beside the data. Upstream is asked first
    whether anything changed since the last fetch; if not, nothing is downloaded and the last fetch stands.
    For an HTTP(S) source, the opt-out signals (robots.txt for AI crawlers, TDM reservations) are read every run,
    changed data or not, and recorded with the source. A derived dataset's query runs (contained) over its inputs'
    latest vetted snapshots, whose ids are recorded with the result. A source found gone (404, 410, no such Hub repo
    or file) fails the run, flagged to the steward with its count of consecutive checks; once confirmed (the
    policy's checks over its minimum time, or a steward's confirm_upstream_gone) the after-publishing policy acts on
    the published repo (a license notice, or the data withdrawn from main). A dataset taken down whole (a takedown
    request with no `rows`) is not fetched at all: nothing is asked of its source and nothing is stored; the step
    succeeds and its `status` names the request."""
    entry = load_catalog().get(context.partition_key)
    whole = whole_dataset_request(dataset_takedowns(entry.id))
    if whole:
        return taken_down_result(context, whole, "source not fetched")
    if config.confirm_upstream_gone and not (config.confirmed_by or "").strip():
        raise dg.Failure(description=f"{entry.id}: launchpad config of raw_source: confirm_upstream_gone needs "
                                     "confirmed_by, who confirms it", allow_retries=False)
    left = remove_stale(warehouse.raw_dir, ".incoming-*")
    if left:
        context.log.info(f"removed downloads a killed run left in the raw store: {', '.join(left)}")
    if entry.source.kind == "derived":
        return derived_source(context, warehouse, entry)
    previous = last_fetch(warehouse, entry, restore=True)
    known = known_source(previous) if previous and not config.force else None
    site_signals, read = site_opt_outs(entry)  # first: a robots.txt that cannot be read fails before any download
    try:
        with data_response_headers() as headers:
            fetched = fetch(entry, RawStore(warehouse.raw_dir), known)
    except FetchError as error:
        if error.answer is None:
            raise
        confirmed_by = config.confirmed_by.strip() if config.confirm_upstream_gone else None
        fail_on_answer(context, warehouse, hub, entry, error, confirmed_by)
    checked_at = datetime.now(timezone.utc)
    note_present(warehouse, entry, checked_at, context.run_id)
    opt_out = None
    if data_urls(entry):
        signals = site_signals + header_opt_outs(entry, headers, recorded_signals((previous or {}).get("opt_out")))
        opt_out = opt_out_record(signals, read, checked_at.isoformat())
    if fetched is None:
        row = {**previous, "run_id": context.run_id, "checked_at": checked_at, "unchanged": True, "opt_out": opt_out}
        status = f"unchanged since {previous['retrieved_at']:%Y-%m-%d %H:%M:%S %Z}: nothing downloaded"
    else:
        row = {**fetched_row(fetched, entry, context.run_id, checked_at), "opt_out": opt_out}
        same = previous is not None and previous["raw_sha256"] == fetched.blob.sha256
        status = "downloaded; same bytes as the last fetch" if same else "downloaded"
    record_source(warehouse, row)
    share_raw_blobs(stored_files(row))  # OBJECT_STORE_URL: every blob of this fetch is also in the object store
    context.log.info(f"{entry.id}: {status}")
    return dg.MaterializeResult(metadata=source_metadata(row, status), data_version=dg.DataVersion(row["raw_sha256"]))


def taken_down_result(context: dg.AssetExecutionContext, request: TakedownRequest,
                      what: str) -> dg.MaterializeResult:
    """The step of a dataset taken down whole: a policy outcome, not a fault, so it succeeds (the snapshot step
    still deletes what the warehouse holds of the dataset, hub_release keeps its repo taken down) and says why."""
    status = f"taken down ({request.request_id}): {what}"
    context.log.warning(f"{context.partition_key}: {status}; {request.label}"
                        + (f", taking down its input {request.dataset_id}"
                           if request.dataset_id != context.partition_key else ""))
    return dg.MaterializeResult(metadata={"status": status, "takedown_request": request.request_id,
                                          "takedown_file": request.file.name},
                                data_version=dg.DataVersion(f"taken-down-{request.request_id}"))


def derived_source(context: dg.AssetExecutionContext, warehouse: Warehouse,
                   entry: CatalogEntry) -> dg.MaterializeResult:
    """A derived dataset's raw bytes: its query's result over its inputs' latest vetted snapshots, made every run
    (the same inputs and a query of fixed row order give the same bytes, so the same snapshot)."""
    try:
        inputs = input_snapshots(warehouse, entry)
        fetched = run_derived(entry, inputs, RawStore(warehouse.raw_dir))
    except DerivedInputError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    row = {**fetched_row(fetched, entry, context.run_id, datetime.now(timezone.utc)), "opt_out": None,
           "derived_from": as_json(inputs)}
    record_source(warehouse, row)
    share_raw_blobs(stored_files(row))
    status = "made from " + ", ".join(f"{i['dataset_id']} snapshot {i['snapshot_id']}" for i in inputs)
    context.log.info(f"{entry.id}: {status}")
    metadata = {**source_metadata(row, status), "derived_from": dg.MetadataValue.json(derived_record(inputs))}
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(row["raw_sha256"]))


def last_fetch(warehouse: Warehouse, entry: CatalogEntry, restore: bool = False) -> dict | None:
    """The last recorded fetch of this very source (same catalog source) whose stored bytes are still there.
    `restore`: bytes missing here are first fetched back from the object store (OBJECT_STORE_URL), when one is set."""
    row = warehouse.fetch_one(
        "SELECT * FROM governance.sources WHERE dataset_id = ? AND source_key = ?"
        " ORDER BY coalesce(checked_at, retrieved_at) DESC LIMIT 1",
        [entry.id, entry.source.describe()],
    )
    if row is None:
        return None
    if restore:
        restore_raw_blobs(stored_files(row))
    return row if all(Path(path).is_file() for path in stored_files(row)) else None


def stored_files(row: dict) -> list[str]:
    """The raw store's files a fetch recorded: the data (or each file of several), the evidence beside it."""
    return [row["raw_path"], *(blob["path"] for blob in json.loads(row["evidence"]).values()),
            *(item["path"] for item in json.loads(row["inputs"] or "[]"))]


def known_source(row: dict) -> KnownSource:
    return KnownSource(
        retrieved_at=row["retrieved_at"], size_bytes=row["size_bytes"], raw_sha256=row["raw_sha256"],
        etag=row["etag"], last_modified=row["last_modified"], upstream_revision=row["upstream_revision"],
        evidence_sha256={name: blob["sha256"] for name, blob in json.loads(row["evidence"]).items()},
        inputs=tuple(json.loads(row["inputs"] or "[]")),
    )


def fetched_row(fetched: FetchedSource, entry: CatalogEntry, run_id: str, checked_at: datetime) -> dict:
    return {
        "dataset_id": entry.id, "retrieved_at": fetched.retrieved_at, "source_kind": fetched.kind,
        "source_uri": fetched.uri, "upstream_revision": fetched.upstream_revision, "etag": fetched.etag,
        "last_modified": fetched.last_modified, "size_bytes": fetched.blob.size_bytes,
        "raw_sha256": fetched.blob.sha256, "raw_path": fetched.blob.path,
        "evidence": as_json({name: blob.__dict__ for name, blob in fetched.evidence.items()}),
        "run_id": run_id, "source_key": entry.source.describe(), "checked_at": checked_at, "unchanged": False,
        "inputs": as_json(fetched.inputs) if fetched.inputs else None, "derived_from": None,
    }


def record_source(warehouse: Warehouse, row: dict) -> None:
    """One row per run: a download, or a check that found upstream unchanged (a copy of the last fetch), so the
    downstream assets read this run's source either way (`latest_source`)."""
    with warehouse.connect() as connection:
        connection.execute(
            f"INSERT INTO governance.sources ({', '.join(SOURCE_COLUMNS)})"
            f" VALUES ({', '.join('?' * len(SOURCE_COLUMNS))})",
            [row[column] for column in SOURCE_COLUMNS],
        )


def source_metadata(row: dict, status: str) -> dict:
    evidence = json.loads(row["evidence"])
    return {
        "status": status,
        "source": row["source_uri"],
        "retrieved_at": str(row["retrieved_at"]),
        "checked_at": str(row["checked_at"]),
        "sha256": row["raw_sha256"],
        "size_bytes": row["size_bytes"],
        "upstream_revision": row["upstream_revision"] or "",
        "etag": row["etag"] or "",
        "last_modified": row["last_modified"] or "",
        "evidence_files": sorted(evidence),
        **input_files_metadata(row),
        **opt_out_metadata(row),
    }


def opt_out_metadata(row: dict) -> dict:
    """An HTTP(S) source's opt-out signals, each quoted, and the files read to find them."""
    if not row.get("opt_out"):
        return {}
    record = json.loads(row["opt_out"])
    signals = recorded_signals(row["opt_out"])
    return {"opt_out": dg.MetadataValue.md("\n".join(f"- {s.reason()}" for s in signals) or "none found"),
            "opt_out_record": dg.MetadataValue.json(record)}


def input_files_metadata(row: dict) -> dict:
    """A source of several files: each one's split, name, size and sha256, as a table the UI shows inline."""
    inputs = json.loads(row["inputs"] or "[]")
    if not inputs:
        return {}
    columns = [dg.TableColumn("split"), dg.TableColumn("file"), dg.TableColumn("size_bytes", "int"),
               dg.TableColumn("sha256")]
    records = [dg.TableRecord({"split": i["split"], "file": i["name"], "size_bytes": i["size_bytes"],
                               "sha256": i["sha256"]}) for i in inputs]
    return {"input_files": dg.MetadataValue.table(records, dg.TableSchema(columns)),
            "splits": ", ".join(dict.fromkeys(i["split"] for i in inputs))}
