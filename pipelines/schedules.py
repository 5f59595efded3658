"""The nightly refresh of every dataset in the catalog that has something new."""

import dagster as dg

from assets.catalog import load_catalog
from assets.partitions import dataset_partitions
from assets.warehouse import Warehouse
from pipelines.jobs import refresh_dataset
from pipelines.nightly import NIGHT_TAG, SCHEDULED_TAG, derived_waiting
from pipelines.refresh_needed import REASON_TAG, judged

DESCRIPTION = ("Every night at 02:00 UTC, one refresh_dataset run per catalog dataset whose source, catalog entry, "
               "license policy or suite changed since its last successful run, or whose last run did not succeed. "
               "Each run request names its dataset and the reason (tags dataset and refresh/reason); the tick's "
               "log names each dataset left alone. A derived dataset one of whose inputs runs tonight is left to "
               "the nightly_derived sensor, which launches it once those runs have finished (the tick's log names "
               "it and its inputs). The run queue (dagster.yaml) bounds how many run at once.")


@dg.schedule(job=refresh_dataset, cron_schedule="0 2 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.STOPPED, description=DESCRIPTION)
def nightly_refresh(context: dg.ScheduleEvaluationContext, warehouse: Warehouse):
    night = context.scheduled_execution_time.strftime("%Y-%m-%d")
    catalog = load_catalog()
    partitions = dataset_partitions.get_partition_keys(dynamic_partitions_store=context.instance)
    runs, unchanged = {}, []

    def runs_tonight(dataset_id: str) -> bool:
        reason, tags = judged(context.instance, warehouse, catalog, dataset_id)
        if reason is None:
            unchanged.append(dataset_id)
            return False
        context.log.info(f"{dataset_id}: refresh ({reason})")
        runs[dataset_id] = {**tags, REASON_TAG: reason}
        return True

    waiting = derived_waiting(catalog.in_dependency_order(partitions),
                              {entry.id: entry.source.inputs for entry in catalog.entries}, runs_tonight)
    for dataset_id, inputs in waiting.items():
        context.log.info(f"{dataset_id}: after tonight's runs of {', '.join(inputs)} (nightly_derived sensor)")
    if unchanged:
        context.log.info(f"unchanged since their last successful run: {', '.join(unchanged)}")
    if runs:
        return [dg.RunRequest(run_key=f"{dataset_id}-{night}", partition_key=dataset_id,
                              tags={"trigger": "nightly", "dataset": dataset_id, **tags, NIGHT_TAG: night,
                                    SCHEDULED_TAG: str(len(runs))})
                for dataset_id, tags in runs.items()]
    if not unchanged:
        return dg.SkipReason("no datasets: the catalog_sensor adds one partition per catalog entry")
    return dg.SkipReason(f"nothing to refresh: every dataset is unchanged since its last successful run "
                         f"({', '.join(unchanged)})")
