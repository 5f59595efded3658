"""Keep one dynamic partition per catalog dataset: added when the catalog gains it, removed when it drops it."""

import dagster as dg

from assets.catalog import load_catalog
from assets.partitions import dataset_partitions


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Every minute, adds one `datasets` partition per catalog entry and removes the partitions "
                       "of entries dropped from the catalog (CATALOG_PATH). Requests no runs.")
def catalog_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Sync the `datasets` partitions with the catalog file."""
    wanted = set(load_catalog().ids)
    present = set(dataset_partitions.get_partition_keys(dynamic_partitions_store=context.instance))
    added, removed = sorted(wanted - present), sorted(present - wanted)
    requests = []
    if added:
        requests.append(dataset_partitions.build_add_request(added))
    if removed:
        requests.append(dataset_partitions.build_delete_request(removed))
    return dg.SensorResult(dynamic_partitions_requests=requests,
                           skip_reason=None if requests else f"catalog and partitions agree ({len(present)} datasets)")
