"""Keep one dynamic partition per catalog dataset; launch each derived dataset of the night after its inputs."""

import json

import dagster as dg

from assets.catalog import load_catalog
from assets.partitions import dataset_partitions
from assets.warehouse import Warehouse
from pipelines.jobs import refresh_dataset
from pipelines.nightly import NIGHT_TAG, SCHEDULED_TAG, derived_waiting
from pipelines.refresh_needed import REASON_TAG, judged


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


@dg.sensor(job=refresh_dataset, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Every minute, for the latest night of nightly_refresh: launches the refresh_dataset run of "
                       "each derived dataset the schedule left out because an input runs that night, once every "
                       "such input's run has finished, succeeded or not (a failed input's latest vetted snapshot "
                       "is used, and the run's refresh/reason says so), and only if it then has something new. A "
                       "derived dataset of a derived one waits for that one. The tick's log names each dataset "
                       "still waiting and the inputs it waits for.")
def nightly_derived(context: dg.SensorEvaluationContext, warehouse: Warehouse) -> dg.SensorResult:
    """Launch tonight's derived datasets in dependency order, each after its inputs' runs."""
    latest = context.instance.get_runs(dg.RunsFilter(job_name=refresh_dataset.name, tags={"trigger": "nightly"}),
                                       limit=1)
    night = latest[0].tags.get(NIGHT_TAG) if latest else None
    if night is None:
        return dg.SensorResult(skip_reason="no night to follow: nightly_refresh has launched no run yet")
    cursor = json.loads(context.cursor) if context.cursor else {}
    decided: dict[str, str] = cursor["decided"] if cursor.get("night") == night else {}
    newest: dict[str, dg.DagsterRun] = {}
    for run in context.instance.get_runs(dg.RunsFilter(job_name=refresh_dataset.name, tags={NIGHT_TAG: night})):
        newest.setdefault(run.tags.get("dagster/partition"), run)  # newest first: a re-execution stands for the night
    scheduled = {dataset_id for dataset_id, run in newest.items() if SCHEDULED_TAG in run.tags}
    expected = max((int(run.tags[SCHEDULED_TAG]) for run in newest.values() if SCHEDULED_TAG in run.tags), default=0)
    if len(scheduled) < expected:  # the schedule's tick is still creating its runs: an input may be among them
        return dg.SensorResult(skip_reason=f"night of {night}: {len(scheduled)} of the schedule's {expected} runs "
                                           "exist so far")

    catalog = load_catalog()
    partitions = dataset_partitions.get_partition_keys(dynamic_partitions_store=context.instance)
    waiting = derived_waiting(catalog.in_dependency_order(partitions),
                              {entry.id: entry.source.inputs for entry in catalog.entries}, scheduled.__contains__)

    def settled(dataset_id: str) -> bool:
        return newest[dataset_id].is_finished if dataset_id in newest else decided.get(dataset_id) == "unchanged"

    requests, still_waiting = [], []
    for dataset_id, inputs in waiting.items():
        if dataset_id in newest or dataset_id in decided:
            continue
        pending = [name for name in inputs if not settled(name)]
        if pending:
            still_waiting.append(f"{dataset_id} (on {', '.join(pending)})")
            continue
        reason, tags = judged(context.instance, warehouse, catalog, dataset_id)
        note = unsuccessful_inputs(inputs, newest)
        if reason is None:
            decided[dataset_id] = "unchanged"
            context.log.info(f"{dataset_id}: unchanged since its last successful run" + (f" ({note})" if note else ""))
            continue
        decided[dataset_id] = "requested"
        reason = f"{reason}; {note}" if note else reason
        context.log.info(f"{dataset_id}: refresh after {', '.join(inputs)} ({reason})")
        requests.append(dg.RunRequest(run_key=f"{dataset_id}-{night}", partition_key=dataset_id,
                                      tags={"trigger": "nightly", "dataset": dataset_id, **tags, REASON_TAG: reason,
                                            NIGHT_TAG: night}))
    new_cursor = json.dumps({"night": night, "decided": decided}, sort_keys=True)
    if requests:
        return dg.SensorResult(run_requests=requests, cursor=new_cursor)
    if still_waiting:
        skip = f"night of {night}: waiting for inputs' runs: {'; '.join(still_waiting)}"
    elif waiting:
        skip = f"night of {night}: every derived dataset waiting for its inputs was launched or is unchanged"
    else:
        skip = f"night of {night}: no derived dataset waits for an input's run"
    return dg.SensorResult(skip_reason=skip, cursor=new_cursor)


def unsuccessful_inputs(inputs: list[str], newest: dict[str, dg.DagsterRun]) -> str:
    """What a derived dataset's reason says of inputs whose run of the night did not succeed."""
    failed = [f"{name} ({newest[name].status.value.lower()})" for name in inputs
              if name in newest and newest[name].status != dg.DagsterRunStatus.SUCCESS]
    if not failed:
        return ""
    if len(failed) == 1:
        return f"tonight's run of input {failed[0]} did not succeed: its latest vetted snapshot is used"
    return f"tonight's runs of inputs {', '.join(failed)} did not succeed: their latest vetted snapshots are used"
