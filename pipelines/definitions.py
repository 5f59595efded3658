"""The Dagster code location: `dagster dev -w workspace.yaml` serves it."""

import dagster as dg

from assets.ingest import raw_source
from assets.provenance import license_decision
from assets.publish import hub_release
from assets.store import snapshot
from checks.asset_checks import snapshot_quality
from pipelines.jobs import refresh_dataset
from pipelines.resources import resources
from pipelines.schedules import nightly_refresh
from pipelines.sensors import catalog_sensor, nightly_derived

defs = dg.Definitions(
    assets=[raw_source, license_decision, snapshot, hub_release],
    asset_checks=[snapshot_quality],
    jobs=[refresh_dataset],
    schedules=[nightly_refresh],
    sensors=[catalog_sensor, nightly_derived],
    resources=resources,
    executor=dg.in_process_executor,
)
