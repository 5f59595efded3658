"""The DuckDB warehouse: the governance catalog and the register of immutable Parquet snapshots."""

from __future__ import annotations

import hashlib
import json
import random
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb
from pydantic import Field

# Dagster pool of the steps that write the warehouse or the snapshot files (dagster.yaml limits it).
WAREHOUSE_POOL = "warehouse"

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS governance;
CREATE SCHEMA IF NOT EXISTS snapshots;
CREATE TABLE IF NOT EXISTS governance.datasets (
    dataset_id VARCHAR PRIMARY KEY,
    title VARCHAR,
    source VARCHAR,
    license_spdx VARCHAR,
    license_name VARCHAR,
    license_use VARCHAR,
    attribution BOOLEAN,
    share_alike BOOLEAN,
    no_derivatives BOOLEAN,
    decision VARCHAR,
    decision_reason VARCHAR,
    needs_review BOOLEAN,
    policy VARCHAR,
    copyright_holders VARCHAR[],
    decision_record JSON,
    updated_at TIMESTAMPTZ,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS governance.sources (
    dataset_id VARCHAR,
    retrieved_at TIMESTAMPTZ,
    source_kind VARCHAR,
    source_uri VARCHAR,
    upstream_revision VARCHAR,
    etag VARCHAR,
    last_modified VARCHAR,
    size_bytes BIGINT,
    raw_sha256 VARCHAR,
    raw_path VARCHAR,
    evidence JSON,
    run_id VARCHAR
);
-- Added after the first release; existing warehouses gain them here.
-- source_key: the catalog's source (URL template, repo@revision/path, file path): what "unchanged" compares.
-- checked_at: when a run last looked upstream; unchanged: that look found nothing new, so no download.
ALTER TABLE governance.sources ADD COLUMN IF NOT EXISTS source_key VARCHAR;
ALTER TABLE governance.sources ADD COLUMN IF NOT EXISTS checked_at TIMESTAMPTZ;
ALTER TABLE governance.sources ADD COLUMN IF NOT EXISTS unchanged BOOLEAN;
-- inputs: a source of several files lists each (split, name, sha256, size, stored path); raw_sha256 is then its
-- manifest's. NULL for a source of one file.
ALTER TABLE governance.sources ADD COLUMN IF NOT EXISTS inputs JSON;
-- opt_out: an HTTP(S) source's opt-out signals as this run read them (robots.txt, TDMRep), re-read every run:
-- {checked_at, signals: [{kind, url, quote, applies_to, agents}], read: [{url, status}]}. NULL for other sources.
ALTER TABLE governance.sources ADD COLUMN IF NOT EXISTS opt_out JSON;
-- derived_from: a derived dataset's inputs as its query read them (assets/derived.py): each one's dataset id, snapshot
-- id, published repo and tag, decided license and attribution. NULL for a fetched source.
ALTER TABLE governance.sources ADD COLUMN IF NOT EXISTS derived_from JSON;
CREATE TABLE IF NOT EXISTS governance.snapshots (
    snapshot_id VARCHAR PRIMARY KEY,
    dataset_id VARCHAR,
    row_count BIGINT,
    content_sha256 VARCHAR,
    parquet_sha256 VARCHAR,
    parquet_path VARCHAR,
    columns JSON,
    created_at TIMESTAMPTZ,
    checks_passed BOOLEAN,
    published_repo VARCHAR,
    published_revision VARCHAR,
    published_tag VARCHAR,
    published_at TIMESTAMPTZ,
    publish_error VARCHAR,
    run_id VARCHAR
);
-- current_at: when a run last found this snapshot to be its dataset's current one ("latest" orders by it).
-- retired_at: set by the retention policy, which drops the files and the view but keeps the record.
ALTER TABLE governance.snapshots ADD COLUMN IF NOT EXISTS current_at TIMESTAMPTZ;
ALTER TABLE governance.snapshots ADD COLUMN IF NOT EXISTS retired_at TIMESTAMPTZ;
-- splits: split name -> {parquet_path, row_count, sha256, columns}, in order; NULL: one split, train.
ALTER TABLE governance.snapshots ADD COLUMN IF NOT EXISTS splits JSON;
-- purged_at: a takedown removed the snapshot (its tags on the Hub, its files here); the record stays.
ALTER TABLE governance.snapshots ADD COLUMN IF NOT EXISTS purged_at TIMESTAMPTZ;
CREATE TABLE IF NOT EXISTS governance.check_results (
    snapshot_id VARCHAR,
    check_name VARCHAR,
    severity VARCHAR,
    passed BOOLEAN,
    observed JSON,
    run_id VARCHAR,
    checked_at TIMESTAMPTZ
);
-- What a stored outcome is (an expectation type or "governance", its column) and what it was computed from
-- (checks/results_store.py), so a run on an unchanged snapshot can reuse it; position keeps the suite's order.
ALTER TABLE governance.check_results ADD COLUMN IF NOT EXISTS expectation_type VARCHAR;
ALTER TABLE governance.check_results ADD COLUMN IF NOT EXISTS column_name VARCHAR;
ALTER TABLE governance.check_results ADD COLUMN IF NOT EXISTS inputs_fingerprint VARCHAR;
ALTER TABLE governance.check_results ADD COLUMN IF NOT EXISTS position INTEGER;
-- split: the snapshot split the outcome was computed on (checks/splits.py).
ALTER TABLE governance.check_results ADD COLUMN IF NOT EXISTS split VARCHAR;
CREATE TABLE IF NOT EXISTS governance.provenance (
    snapshot_id VARCHAR PRIMARY KEY,
    dataset_id VARCHAR,
    record JSON
);
-- A steward's override (policy and / or sign-off) holds for the source bytes it was given for.
CREATE TABLE IF NOT EXISTS governance.steward_overrides (
    dataset_id VARCHAR,
    raw_sha256 VARCHAR,
    policy VARCHAR,
    signed_off_by VARCHAR,
    reason VARCHAR,
    recorded_at TIMESTAMPTZ,
    run_id VARCHAR,
    withdrawn BOOLEAN
);
ALTER TABLE governance.steward_overrides ADD COLUMN IF NOT EXISTS license VARCHAR;
ALTER TABLE governance.steward_overrides ADD COLUMN IF NOT EXISTS evidence VARCHAR;
-- permission: {kind, reference, granted_to}, what releases an opt-out (licenses/opt_out.py).
ALTER TABLE governance.steward_overrides ADD COLUMN IF NOT EXISTS permission JSON;
-- After publishing: every action taken on a published repo (a license notice, a withdrawal, a takedown), one row
-- each, and the repo's status.json is rendered from them (assets/publication_status.py). action: notice | withdraw
-- | takedown (the whole dataset) | purge (tags of snapshots holding taken-down rows deleted, history squashed)
-- | restore (main holds a tagged release again once it is publishable again; tags: that tag).
CREATE TABLE IF NOT EXISTS governance.withdrawals (
    dataset_id VARCHAR,
    repo_id VARCHAR,
    action VARCHAR,
    cause VARCHAR,            -- license_change | upstream_gone | takedown | input_withdrawn
    reason VARCHAR,           -- why, in the words a consumer reads
    decided_by VARCHAR,       -- the policy, a steward's name, or the takedown request ids
    license_now VARCHAR,      -- the license as decided now (notice / withdraw)
    tags JSON,                -- tag -> the license it was published under (still on the Hub)
    removed_tags JSON,        -- tags deleted by this action
    requests JSON,            -- takedown request ids
    use_instead VARCHAR,      -- the tag a consumer should use instead, when there is one
    commit_oid VARCHAR,       -- the Hub commit on main that carried it
    recorded_at TIMESTAMPTZ,
    run_id VARCHAR
);
-- Takedown requests applied (takedowns/ beside the catalog file): what was removed, never the values.
CREATE TABLE IF NOT EXISTS governance.takedowns (
    request_id VARCHAR PRIMARY KEY,
    dataset_id VARCHAR,
    requested_by VARCHAR,
    requested_on DATE,
    scope VARCHAR,            -- rows | dataset
    rows_removed BIGINT,
    snapshots_purged JSON,    -- snapshot ids whose tags, history and files were removed
    applied_at TIMESTAMPTZ,
    run_id VARCHAR
);
-- Each look upstream that found the source missing or answering an error (assets/upstream_gone.py).
CREATE TABLE IF NOT EXISTS governance.upstream_checks (
    dataset_id VARCHAR,
    source_key VARCHAR,
    checked_at TIMESTAMPTZ,
    status INTEGER,           -- HTTP status (404, 410, ...); NULL for a timeout or connection failure
    answer VARCHAR,           -- gone | error | present
    detail VARCHAR,
    run_id VARCHAR
);
CREATE OR REPLACE VIEW governance.latest_snapshots AS
    SELECT * FROM governance.snapshots WHERE retired_at IS NULL
    QUALIFY row_number() OVER (PARTITION BY dataset_id ORDER BY coalesce(current_at, created_at) DESC) = 1;
-- Vetted: its blocking checks passed and its dataset's license decision is publish.
CREATE OR REPLACE VIEW governance.latest_vetted_snapshots AS
    SELECT s.* FROM governance.snapshots s JOIN governance.datasets d USING (dataset_id)
    WHERE s.retired_at IS NULL AND s.checks_passed AND d.decision = 'publish'
    QUALIFY row_number() OVER (PARTITION BY s.dataset_id ORDER BY coalesce(s.current_at, s.created_at) DESC) = 1;
-- The fingerprint of the schema above once applied: a process that finds it current writes nothing.
CREATE TABLE IF NOT EXISTS governance.schema_version (fingerprint VARCHAR);
"""
SCHEMA_FINGERPRINT = hashlib.sha256(SCHEMA.encode()).hexdigest()


_SCHEMA_READY: set[str] = set()  # warehouse files whose schema this process has created or checked


class WarehouseBusyError(RuntimeError):
    """Another process held the warehouse file for longer than the lock timeout."""


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file holding the governance tables; Parquet snapshots and raw bytes live beside it."""

    path: str = "data/warehouse.duckdb"
    keep_snapshots: int = Field(
        default=3, ge=1,
        description="Retention: snapshots kept per dataset besides every published one and the latest vetted one.",
    )
    lock_timeout_s: float = Field(
        default=300.0, ge=0,
        description="How long a connection waits while another process holds the DuckDB file.",
    )

    @property
    def root(self) -> Path:
        return Path(self.path).resolve().parent

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def snapshots_dir(self) -> Path:
        return self.root / "snapshots"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection: DuckDB allows one writing process per file, so never hold it open.
        Waits (bounded) while another process holds the file: its transactions are short by design."""
        self._ensure_schema()
        with self._open(read_only) as connection:
            yield connection

    def _ensure_schema(self) -> None:
        """Create or upgrade the tables, all or nothing, once per process: a run killed while creating them
        leaves a file the next run completes, and a reader of a new warehouse sees the empty tables. A warehouse
        whose schema is current is only read, so readers work on a full disk or a read-only mount."""
        path = str(Path(self.path).resolve())
        if path in _SCHEMA_READY and Path(path).exists():
            return
        if not (Path(path).exists() and self._schema_is_current()):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with self._open(read_only=False) as connection:
                connection.execute(f"BEGIN TRANSACTION; {SCHEMA} DELETE FROM governance.schema_version;"
                                   f" INSERT INTO governance.schema_version VALUES ('{SCHEMA_FINGERPRINT}'); COMMIT;")
        _SCHEMA_READY.add(path)

    def _schema_is_current(self) -> bool:
        with self._open(read_only=True) as connection:
            try:
                row = connection.execute("SELECT max(fingerprint) FROM governance.schema_version").fetchone()
            except duckdb.CatalogException:  # made before the fingerprint was kept, or never completed
                return False
        return row[0] == SCHEMA_FINGERPRINT

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction: all of it or nothing is visible."""
        with self.connect() as connection:
            connection.begin()
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    def fetch_one(self, sql: str, params: list | None = None) -> dict | None:
        rows = self.fetch_all(sql, params)
        return rows[0] if rows else None

    def fetch_all(self, sql: str, params: list | None = None) -> list[dict]:
        with self.connect(read_only=True) as connection:
            cursor = connection.execute(sql, params or [])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying with jittered exponential backoff while another process holds its lock."""
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.02
        while True:
            try:
                return duckdb.connect(self.path, read_only=read_only)
            except duckdb.IOException as error:
                if not is_lock_conflict(error):
                    raise
                if time.monotonic() >= deadline:
                    raise WarehouseBusyError(
                        f"warehouse {self.path} stayed locked by another process for {self.lock_timeout_s:g} s: "
                        f"{str(error).splitlines()[0]}") from error
            time.sleep(delay * random.uniform(0.5, 1.0))  # jitter: waiting processes do not retry in step
            delay = min(delay * 2, 1.0)


def is_lock_conflict(error: Exception) -> bool:
    message = str(error)
    return "Could not set lock" in message or "Conflicting lock" in message


def as_json(value: object) -> str:
    """Canonical JSON: keys and sets sorted, so equal values give equal text (and fingerprints) in any process."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def fingerprint(value: object) -> str:
    """sha256 of a value's canonical JSON: equal inputs, equal fingerprint."""
    return hashlib.sha256(as_json(value).encode()).hexdigest()


def _json_default(value: object) -> object:
    return sorted(value, key=str) if isinstance(value, (set, frozenset)) else str(value)
