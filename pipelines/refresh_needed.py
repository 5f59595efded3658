"""Whether a dataset needs its nightly run: only when something a run depends on changed since its last
successful run, or that run did not succeed. Asking costs a file stat, one conditional HTTP request (and, for an
HTTP source, its host's robots.txt and tdmrep.json, for opt-outs) or one Hub API call per dataset, against the
minutes a run costs, so the nightly on an unchanged catalog does no work. A dataset taken down whole costs
nothing: once a run took it down, nothing is asked of its source."""

from __future__ import annotations

import dataclasses
import json

import dagster as dg

from assets.catalog import Catalog, CatalogEntry
from assets.derived import inputs_changed
from assets.fetch import upstream_unchanged
from assets.ingest import known_source, last_fetch
from assets.opt_out import data_response_headers, opt_outs_changed
from assets.takedowns import dataset_takedowns, whole_dataset_request
from assets.warehouse import Warehouse, fingerprint
from checks.suite import load_suite
from licenses.policy import load_policy
from pipelines.jobs import refresh_dataset

INPUTS_TAG = "refresh/inputs"  # a run's fingerprint of the catalog entry, license policy and suite it ran with
REASON_TAG = "refresh/reason"  # why the nightly requested the run, shown in the tick preview and on the run


def refresh_inputs(entry: CatalogEntry) -> str:
    """sha256 of the catalog entry, its license policy, its expectation suite and its takedown requests as they are
    now (a new request is applied by the next nightly; raises TakedownError for a bad request file naming it)."""
    inputs = {
        "entry": dataclasses.asdict(entry),
        "policy": dataclasses.asdict(load_policy(entry.policy)),
        "suite": dataclasses.asdict(load_suite(entry.id, list(entry.key_columns))),
    }
    takedowns = [{"request": request.request_id, "rows": None if request.whole_dataset else request.predicate()}
                 for request in dataset_takedowns(entry.id)]
    return fingerprint(inputs | ({"takedowns": takedowns} if takedowns else {}))


def judged(instance: dg.DagsterInstance, warehouse: Warehouse, catalog: Catalog,
           dataset_id: str) -> tuple[str | None, dict[str, str]]:
    """Why the dataset needs a run now (None: it does not) and the fingerprint tag its run carries. A broken entry,
    policy or suite needs a run: the run reports what is wrong."""
    tags: dict[str, str] = {}
    try:
        entry = catalog.get(dataset_id)
        tags[INPUTS_TAG] = refresh_inputs(entry)
        return refresh_reason(instance, warehouse, entry, tags[INPUTS_TAG]), tags
    except ValueError as error:
        return f"cannot judge: {error}", tags


def refresh_reason(instance: dg.DagsterInstance, warehouse: Warehouse, entry: CatalogEntry,
                   inputs: str) -> str | None:
    """Why the dataset needs a run now, or None when its last successful run still stands."""
    last_runs = dg.RunsFilter(job_name=refresh_dataset.name, tags={"dagster/partition": entry.id})
    runs = instance.get_runs(last_runs, limit=1)
    if not runs:
        return "never refreshed"
    if runs[0].status != dg.DagsterRunStatus.SUCCESS:
        return f"last run {runs[0].status.value.lower()}"
    if runs[0].tags.get(INPUTS_TAG) != inputs:
        return "catalog entry, license policy, suite or takedown requests changed since the last run"
    # Taken down whole: that successful run took it down (on the Hub too), and its source is never asked again.
    if whole_dataset_request(dataset_takedowns(entry.id)):
        return None
    fetched = last_fetch(warehouse, entry)
    if fetched is None:
        return "no stored fetch of this source"
    if entry.source.kind == "derived":  # made from its inputs' snapshots: nothing upstream to ask
        decided = warehouse.fetch_one("SELECT decision_record FROM governance.datasets WHERE dataset_id = ?",
                                      [entry.id])
        return inputs_changed(warehouse, entry, fetched, json.loads(decided["decision_record"]) if decided else None)
    with data_response_headers() as headers:
        unchanged = upstream_unchanged(entry, known_source(fetched))
    if not unchanged:
        return "upstream changed (or could not be asked)"
    if opt_outs_changed(entry, fetched.get("opt_out"), headers):
        return "opt-out signals changed (robots.txt, TDM reservation)"
    return None
