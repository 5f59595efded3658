"""The main job: the whole governed path for one catalog dataset (one partition)."""

import dagster as dg

from assets.partitions import dataset_partitions

refresh_dataset = dg.define_asset_job(
    "refresh_dataset",
    selection=dg.AssetSelection.groups("ingest", "provenance", "store", "publish"),
    partitions_def=dataset_partitions,
    description="Ingest → provenance → checks → snapshot → publish for one dataset of the catalog.",
)
