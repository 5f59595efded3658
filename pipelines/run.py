"""The main command: run the governed path for every catalog dataset and print a per-dataset summary.

    uv run python -m pipelines.run [--dataset ID ...] [--force] [--confirm-upstream-gone STEWARD]

Without HF_ENDPOINT it starts the project's loopback Hub and publishes there."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from assets.catalog import Catalog, CatalogError, load_catalog
from assets.messages import condensed
from assets.takedowns import load_takedowns
from assets.warehouse import Warehouse
from pipelines.local_services import ServiceStartError, local_services
from pipelines.refresh_needed import INPUTS_TAG, refresh_inputs
from pipelines.summary import dataset_summary, format_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.run", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", help="only this dataset id (repeatable)")
    parser.add_argument("--force", action="store_true",
                        help="download every source again, even when upstream reports it unchanged")
    parser.add_argument("--confirm-upstream-gone", metavar="STEWARD",
                        help="a steward confirms the --dataset's upstream is gone (this run must find it gone): its "
                             "after-publishing policy applies now, recorded as decided by STEWARD")
    args = parser.parse_args(argv)
    if args.confirm_upstream_gone and not args.dataset:
        parser.error("--confirm-upstream-gone needs --dataset: a steward confirms one dataset's upstream at a time")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # the summary is the output
    warehouse_path = Path(os.environ.setdefault("WAREHOUSE_PATH", "data/warehouse.duckdb"))
    try:
        catalog = load_catalog()
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    requested = args.dataset or catalog.ids
    if not requested and not catalog.problems:
        print(f"nothing to run: the catalog {catalog.path} lists no datasets")
        return 0
    # What cannot be a partition fails without a run: an id no valid entry has (an entry whose id is unusable).
    failures = {dataset_id: catalog.why_missing(dataset_id) for dataset_id in requested
                if dataset_id not in catalog.ids}
    if not args.dataset:
        failures |= {label: problem for label, problem in catalog.problems.items() if label not in catalog.ids}
        # A takedown file that is no request of a catalog dataset fails as itself (one naming a dataset fails it).
        failures |= load_takedowns(catalog).request_problems([entry.id for entry in catalog.entries])
    try:
        with local_services(catalog, warehouse_path.resolve().parent) as started:
            for line in started.lines:
                print(line)
            failures |= {dataset_id: reason for dataset_id, reason in started.seed_failures.items()
                         if dataset_id in requested}
            # A derived dataset's inputs run first, so it is made from their snapshots of this run.
            runnable = catalog.in_dependency_order([d for d in requested if d not in failures])
            outcomes = run_datasets(catalog, runnable, force=args.force,
                                    confirmed_by=args.confirm_upstream_gone)
    except ServiceStartError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    warehouse = Warehouse(path=str(warehouse_path))
    outcomes |= {label: dataset_summary(warehouse, label, problem) for label, problem in failures.items()}
    print(format_table([outcomes[label] for label in dict.fromkeys([*requested, *failures])]))
    return 1 if any(outcome["error"] for outcome in outcomes.values()) else 0


def run_datasets(catalog: Catalog, dataset_ids: list[str], force: bool = False,
                 confirmed_by: str | None = None) -> dict[str, dict]:
    """Each dataset's outcome, by id, in order."""
    if not dataset_ids:
        return {}
    import dagster as dg

    from pipelines.definitions import defs  # after local_services: huggingface_hub must see HF_ENDPOINT

    job = defs.resolve_job_def("refresh_dataset")
    warehouse = Warehouse(path=os.environ["WAREHOUSE_PATH"])
    with dg.DagsterInstance.get() if "DAGSTER_HOME" in os.environ else dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("datasets", dataset_ids)
        run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}},
                      "ops": {"raw_source": {"config": {"force": force, "confirm_upstream_gone": bool(confirmed_by),
                                                        "confirmed_by": confirmed_by}}}}
        outcomes = {}
        for dataset_id in dataset_ids:
            result = job.execute_in_process(partition_key=dataset_id, instance=instance, raise_on_error=False,
                                            run_config=run_config, tags=run_tags(catalog, dataset_id))
            outcomes[dataset_id] = dataset_summary(warehouse, dataset_id, run_error(result), result.run_id)
    return outcomes


def run_tags(catalog: Catalog, dataset_id: str) -> dict[str, str]:
    """The inputs the run starts from, so the nightly schedule can tell later whether they changed."""
    try:
        return {INPUTS_TAG: refresh_inputs(catalog.get(dataset_id))}
    except ValueError:  # a broken entry, policy or suite: the run itself reports it
        return {}


def run_error(result) -> str | None:
    """The first step failure's message; a blocking check that failed is an outcome, shown from the warehouse."""
    failures = [event for event in result.all_events if event.is_step_failure
                and event.event_specific_data.error.cls_name != "DagsterAssetCheckFailedError"]
    if not failures:
        return None
    error = failures[0].event_specific_data.error
    message = error.cause.message if error.cause and "Error occurred while executing" in error.message \
        else error.message
    # "assets.fetch.FetchError: penguins: ..." -> "penguins: ...": our messages already name the dataset.
    return condensed(re.sub(r"^(?:\w+\.)*[A-Z]\w*: ", "", message.strip()))


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: GX's process-wide caches keep DuckDB objects alive to the end, and DuckDB's
    # bindings then print a page of spurious "leaked" warnings under the summary.
    os._exit(exit_code)
