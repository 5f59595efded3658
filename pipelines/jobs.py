"""The main job: the whole governed path for one catalog dataset (one partition, inferred from the assets)."""

import dagster as dg

refresh_dataset = dg.define_asset_job(
    "refresh_dataset",
    selection=dg.AssetSelection.groups("ingest", "provenance", "store", "publish"),
    description="The governed path for one catalog dataset (the partition), in order: ingest (raw_source) → "
                "provenance (license_decision) → snapshot (Parquet, registered in DuckDB) → checks "
                "(expectation_suite, expectation_warnings on the snapshot) → publish (hub_release).",
)
