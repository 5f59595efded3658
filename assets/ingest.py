"""Ingest: fetch a dataset's source and keep its raw bytes content-addressed."""

import dagster as dg

from assets.catalog import load_catalog
from assets.fetch import RawStore, fetch
from assets.partitions import dataset_partitions
from assets.warehouse import Warehouse, as_json


@dg.asset(
    partitions_def=dataset_partitions,
    group_name="ingest",
    code_version="1",
    kinds={"python"},
)
def raw_source(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The dataset's source bytes as fetched: a local file, an HTTP(S) URL or a Hub dataset at a pinned
    revision, stored by sha256, with where, when and what (URL or repo, ETag / Last-Modified or Hub commit,
    size, sha256) and the LICENSE / NOTICE / README files found beside the data."""
    entry = load_catalog().get(context.partition_key)
    fetched = fetch(entry, RawStore(warehouse.raw_dir))
    with warehouse.connect() as connection:
        connection.execute(
            "INSERT INTO governance.sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [entry.id, fetched.retrieved_at, fetched.kind, fetched.uri, fetched.upstream_revision,
             fetched.etag, fetched.last_modified, fetched.blob.size_bytes, fetched.blob.sha256,
             fetched.blob.path, as_json({k: v.__dict__ for k, v in fetched.evidence.items()}), context.run_id],
        )
    return dg.MaterializeResult(
        metadata={
            "source": fetched.uri,
            "sha256": fetched.blob.sha256,
            "size_bytes": fetched.blob.size_bytes,
            "upstream_revision": fetched.upstream_revision or "",
            "etag": fetched.etag or "",
            "evidence_files": sorted(fetched.evidence),
        },
        data_version=dg.DataVersion(fetched.blob.sha256),
    )
