"""A derived dataset is made, not fetched: its catalog query runs over its inputs' latest vetted snapshots, and what
it may be published under follows from theirs. Its ingest writes the query's result as its raw bytes (Parquet, kept
by sha256 like any source) and records which input snapshots it read; its license is the conjunction of its inputs'
decided licenses, decided by the policy like any other, and an input withdrawn or taken down blocks it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb

from assets.catalog import CatalogEntry
from assets.contained_sql import UserSQLError, contained_connection, first_line, single_select
from assets.evidence import Evidence
from assets.fetch import FetchedSource, RawStore, utc_now
from assets.publication_status import REPO_STATE, last_publish, recorded_actions
from assets.splits import snapshot_splits
from assets.sql import sql_string
from assets.warehouse import Warehouse
from licenses import LicenseSignal, signal

# The last recorded action on an input's published repo that applies to every dataset built from it.
BLOCKING_ACTIONS = {"withdraw": "withdrawn", "takedown": "taken down"}


class DerivedInputError(RuntimeError):
    """A derived dataset cannot be made: an input has no vetted snapshot, or its query fails on them."""


def input_snapshots(warehouse: Warehouse, entry: CatalogEntry) -> list[dict]:
    """Each input's latest vetted snapshot (its checks passed, its license decided publish) with what the derived
    dataset carries from it: the snapshot id, the published repo and tag, the decided license, the attribution."""
    inputs = []
    for dataset_id in entry.source.inputs:
        row = warehouse.fetch_one(
            "SELECT s.snapshot_id, s.parquet_path, s.parquet_sha256, s.row_count, s.splits, s.columns,"
            " s.published_repo, s.published_tag, d.license_spdx, d.license_name, d.decision_record"
            " FROM governance.latest_vetted_snapshots s JOIN governance.datasets d USING (dataset_id)"
            " WHERE s.dataset_id = ?", [dataset_id])
        if row is None:
            raise DerivedInputError(f"{entry.id}: input {dataset_id!r} has no vetted snapshot (its checks passed and "
                                    "its license decided publish); run it first")
        decision = json.loads(row["decision_record"])
        inputs.append({
            "dataset_id": dataset_id, "snapshot_id": row["snapshot_id"], "parquet_sha256": row["parquet_sha256"],
            "splits": {name: str(split.parquet_path) for name, split in snapshot_splits(row).items()},
            "repo_id": row["published_repo"], "tag": row["published_tag"],
            "license_spdx": row["license_spdx"], "license_name": row["license_name"],
            "attribution": decision.get("attribution") or "", "credit": decision.get("credit"),
            "copyright_holders": decision.get("copyright_holders") or [],
        })
    return inputs


def run_derived(entry: CatalogEntry, inputs: list[dict], store: RawStore) -> FetchedSource:
    """The query's result over the inputs' snapshot files, as Parquet in the raw store. The query runs contained: a
    connection that can read only those files, as one SELECT (assets/contained_sql.py)."""
    tables = {}
    for item in inputs:
        splits = item["splits"]
        tables[item["dataset_id"]] = [Path(next(iter(splits.values())))]  # the id alone: its first split
        tables.update({f"{item['dataset_id']}/{name}": [Path(path)] for name, path in splits.items()})
    with tempfile.TemporaryDirectory(prefix=".derived-", dir=store.root.parent) as work:
        output = Path(work) / "result.parquet"
        try:
            query = single_select(entry.source.query, f"{entry.id}: derived.query")
            with contained_connection(tables, output) as connection:
                connection.execute(f"COPY ({query}) TO {sql_string(output)} (FORMAT parquet, COMPRESSION zstd)")
        except UserSQLError as error:
            raise DerivedInputError(str(error)) from None
        except duckdb.Error as error:
            raise DerivedInputError(f"{entry.id}: derived.query failed on its inputs' snapshots "
                                    f"({', '.join(i['snapshot_id'] for i in inputs)}): {first_line(error)}") from None
        blob = store.put_file(output, entry.source.max_bytes)
    notice = store.put_chunks([notice_text(entry, inputs).encode("utf-8")])
    return FetchedSource(entry.id, "derived", entry.source.describe(), utc_now(), blob, evidence={"NOTICE": notice})


def notice_text(entry: CatalogEntry, inputs: list[dict]) -> str:
    """The NOTICE published with a derived dataset: every input's attribution as its own snapshot records it, so
    the credit each license requires travels with the data."""
    parts = [f"{entry.title} is built from these datasets; each one's license and attribution apply to it."]
    for item in inputs:
        license_name = item["license_spdx"] or item["license_name"] or "license not identified"
        attribution = item["attribution"].strip() or "(its source gives no attribution text)"
        parts.append(f"== {item['dataset_id']}: {published_name(item)}, snapshot {item['snapshot_id']}, "
                     f"{license_name} ==\n\n{attribution}")
    return "\n\n".join(parts) + "\n"


def recorded_inputs(source: dict) -> list[dict]:
    """The input snapshots a derived dataset's ingest read (governance.sources.derived_from)."""
    return json.loads(source.get("derived_from") or "[]")


def derived_evidence(entry: CatalogEntry, inputs: list[dict]) -> Evidence:
    """The license evidence of a derived dataset: the conjunction of its inputs' decided licenses (one signal, so the
    policy judges every trait of every input: attribution to each, share-alike if any is), the catalog's own
    declaration when it gives one, and every input's copyright holders and attribution."""
    spdx_ids = [item["license_spdx"] for item in inputs]
    unnamed = [item["dataset_id"] for item in inputs if not item["license_spdx"]]
    signals: list[LicenseSignal] = [signal("catalog", entry.license)] if entry.license else []
    if unnamed:  # no SPDX id to join: each input's license name stands as its own signal, which the policy weighs
        signals += [signal(f"input {item['dataset_id']}", item["license_spdx"] or item["license_name"] or "unknown")
                    for item in inputs]
    else:
        signals.append(signal("inputs", " AND ".join(dict.fromkeys(_grouped(spdx) for spdx in spdx_ids))))
    holders = list(dict.fromkeys(holder for item in inputs for holder in item["copyright_holders"]))
    attribution = "\n\n".join(f"{item['dataset_id']} ({published_name(item)}): {item['attribution'].strip()}"
                              for item in inputs if item["attribution"].strip())
    credits = "; ".join(f"{item['dataset_id']}: {item['credit']}" for item in inputs if item.get("credit"))
    return Evidence(signals, [], holders, attribution, credits or None)


def _grouped(expression: str) -> str:
    """An input's expression as one operand of AND: `MIT OR Apache-2.0` is parenthesised."""
    return f"({expression})" if " " in expression.strip() and not expression.startswith("(") else expression


def published_name(item: dict) -> str:
    """Where an input is published: repo@tag, or its snapshot id when it is not on the Hub."""
    return f"{item['repo_id']}@{item['tag']}" if item.get("repo_id") and item.get("tag") \
        else f"snapshot {item['snapshot_id']} (not published)"


def withdrawn_inputs(warehouse: Warehouse, inputs: list[dict]) -> list[dict]:
    """The inputs whose published repo was last withdrawn or taken down (governance.withdrawals), each with the
    reason the derived dataset is blocked: what applies to an input applies to what is built from it. The decision
    record keeps them, so the action on the derived dataset's own repo can name its cause (input_withdrawn)."""
    withdrawn = []
    for item in inputs:
        # As status.json reads it: an action before the input's last publish no longer holds (a snapshot without
        # the taken-down rows, say, was published over a withdrawal).
        published = last_publish(warehouse, item["dataset_id"])
        whole_repo = [action for action in recorded_actions(warehouse, item["dataset_id"])
                      if action.action in REPO_STATE and (published is None or action.recorded_at >= published[1])]
        if whole_repo and whole_repo[-1].action in BLOCKING_ACTIONS:
            last = whole_repo[-1]
            withdrawn.append({
                "dataset_id": item["dataset_id"], "repo_id": last.repo_id, "action": last.action,
                "since": last.recorded_at.isoformat(), "requests": last.requests,
                "reason": f"input {item['dataset_id']} ({last.repo_id}) was {BLOCKING_ACTIONS[last.action]} on "
                          f"{last.recorded_at:%Y-%m-%d}: {last.reason}"})
    return withdrawn


def inputs_changed(warehouse: Warehouse, entry: CatalogEntry, source: dict, decision_record: dict | None) -> str | None:
    """Why a derived dataset needs a new run (its "upstream" is its inputs), or None: an input has a new latest vetted
    snapshot (or none), or one was withdrawn or taken down (or released again) since its license was decided."""
    recorded = {item["dataset_id"]: item["snapshot_id"] for item in recorded_inputs(source)}
    rows = warehouse.fetch_all("SELECT dataset_id, snapshot_id FROM governance.latest_vetted_snapshots"
                               " WHERE list_contains(?, dataset_id)", [list(entry.source.inputs)])
    if recorded != {row["dataset_id"]: row["snapshot_id"] for row in rows}:
        return "an input has a new vetted snapshot (or none)"
    blocked_now = {item["dataset_id"] for item in withdrawn_inputs(warehouse, recorded_inputs(source))}
    blocked_then = {item["dataset_id"] for item in (decision_record or {}).get("inputs_withdrawn") or []}
    if blocked_now != blocked_then:
        return "an input was withdrawn or taken down since the last decision"
    return None


def derived_record(inputs: list[dict]) -> list[dict]:
    """What provenance.json, the card and the decision record say of each input."""
    return [{"dataset_id": item["dataset_id"], "snapshot_id": item["snapshot_id"], "repo_id": item["repo_id"],
             "tag": item["tag"], "license": item["license_spdx"] or item["license_name"],
             "parquet_sha256": item["parquet_sha256"]} for item in inputs]
