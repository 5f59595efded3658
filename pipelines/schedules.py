"""The nightly refresh of every dataset in the catalog."""

import dagster as dg

from assets.partitions import dataset_partitions
from pipelines.jobs import refresh_dataset


@dg.schedule(job=refresh_dataset, cron_schedule="0 2 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.STOPPED)
def nightly_refresh(context: dg.ScheduleEvaluationContext):
    """One run per catalog dataset, every night at 02:00 UTC. Each run asks upstream first and skips the download
    of an unchanged source; the run queue (dagster.yaml) bounds how many run at once."""
    date = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for dataset_id in dataset_partitions.get_partition_keys(dynamic_partitions_store=context.instance):
        yield dg.RunRequest(run_key=f"{dataset_id}-{date}", partition_key=dataset_id, tags={"trigger": "nightly"})
