"""The DuckDB warehouse: the governance catalog and the register of immutable Parquet snapshots."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS governance;
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
CREATE TABLE IF NOT EXISTS governance.check_results (
    snapshot_id VARCHAR,
    check_name VARCHAR,
    severity VARCHAR,
    passed BOOLEAN,
    observed JSON,
    run_id VARCHAR,
    checked_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS governance.provenance (
    snapshot_id VARCHAR PRIMARY KEY,
    dataset_id VARCHAR,
    record JSON
);
CREATE OR REPLACE VIEW governance.latest_snapshots AS
    SELECT * FROM governance.snapshots
    QUALIFY row_number() OVER (PARTITION BY dataset_id ORDER BY created_at DESC) = 1;
"""


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file holding the governance tables; Parquet snapshots and raw bytes live beside it."""

    path: str = "data/warehouse.duckdb"

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
        """A short-lived connection: DuckDB allows one writing process per file, so never hold it open."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        if not read_only:
            with duckdb.connect(self.path) as connection:
                connection.execute(SCHEMA)
                yield connection
            return
        if not Path(self.path).exists():
            with duckdb.connect(self.path) as connection:
                connection.execute(SCHEMA)
        with duckdb.connect(self.path, read_only=True) as connection:
            yield connection

    def fetch_one(self, sql: str, params: list | None = None) -> dict | None:
        rows = self.fetch_all(sql, params)
        return rows[0] if rows else None

    def fetch_all(self, sql: str, params: list | None = None) -> list[dict]:
        with self.connect(read_only=True) as connection:
            cursor = connection.execute(sql, params or [])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]


def as_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
