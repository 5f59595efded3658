"""The nightly refresh of every dataset in the catalog that has something new."""

import dagster as dg

from assets.catalog import load_catalog
from assets.partitions import dataset_partitions
from assets.warehouse import Warehouse
from pipelines.jobs import refresh_dataset
from pipelines.refresh_needed import INPUTS_TAG, REASON_TAG, refresh_inputs, refresh_reason

DESCRIPTION = ("Every night at 02:00 UTC, one refresh_dataset run per catalog dataset whose source, catalog entry, "
               "license policy or suite changed since its last successful run, or whose last run did not succeed. "
               "Each run request names its dataset and the reason (tags dataset and refresh/reason); the tick's "
               "log names each dataset left alone. The run queue (dagster.yaml) bounds how many run at once.")


@dg.schedule(job=refresh_dataset, cron_schedule="0 2 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.STOPPED, description=DESCRIPTION)
def nightly_refresh(context: dg.ScheduleEvaluationContext, warehouse: Warehouse):
    date = context.scheduled_execution_time.strftime("%Y-%m-%d")
    catalog = load_catalog()
    requests, unchanged = [], []
    for dataset_id in dataset_partitions.get_partition_keys(dynamic_partitions_store=context.instance):
        tags = {"trigger": "nightly", "dataset": dataset_id}
        try:
            entry = catalog.get(dataset_id)
            tags[INPUTS_TAG] = refresh_inputs(entry)
            reason = refresh_reason(context.instance, warehouse, entry, tags[INPUTS_TAG])
        except ValueError as error:  # a broken entry, policy or suite: the run reports it
            reason = f"cannot judge: {error}"
        if reason is None:
            unchanged.append(dataset_id)
            continue
        context.log.info(f"{dataset_id}: refresh ({reason})")
        tags[REASON_TAG] = reason
        requests.append(dg.RunRequest(run_key=f"{dataset_id}-{date}", partition_key=dataset_id, tags=tags))
    if unchanged:
        context.log.info(f"unchanged since their last successful run: {', '.join(unchanged)}")
    if requests:
        return requests
    if not unchanged:
        return dg.SkipReason("no datasets: the catalog_sensor adds one partition per catalog entry")
    return dg.SkipReason(f"nothing to refresh: every dataset is unchanged since its last successful run "
                         f"({', '.join(unchanged)})")
