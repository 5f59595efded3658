"""OpenLineage run events: every asset step is one OpenLineage run of the job `<asset>.<dataset id>` (START, then
COMPLETE or FAIL), its parent the Dagster run, with what the step read and wrote as datasets and the license decision
as a dataset facet (`openDataGovernance_licenseDecision`).

Configured as any OpenLineage client is: `OPENLINEAGE__TRANSPORT__*` environment variables, `OPENLINEAGE_URL`, or an
`openlineage.yml` (named by OPENLINEAGE_CONFIG, in the working directory or in ~/.openlineage/). Without any of them
nothing is emitted and the client library is never imported; OPENLINEAGE_DISABLED=true turns it off. The job
namespace is OPENLINEAGE_NAMESPACE (default `open-data-governance`). Lineage never fails a step: an event that
cannot be sent is a warning in the step's log.

Datasets, named as OpenLineage's naming spec says (namespace + name = a URI): the upstream source where it is public
(`hf://datasets` + repo, or an http(s) URL's scheme and host + path; a local file or a private-network URL is named
only by its file name, under the job namespace, as provenance.json does); raw blobs and snapshot Parquet files as
`file` + absolute path; the license decision as `duckdb://<warehouse file>` + `governance.datasets/<dataset id>`; a
release as `hf://datasets` + `<repo>@<tag>`."""

from __future__ import annotations

import functools
import inspect
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg

from assets.catalog import CatalogEntry, load_catalog
from assets.catalog_entry import SECRET_VARIABLE
from assets.redaction import REDACTED, redact
from assets.takedowns import dataset_takedowns, whole_dataset_request
from assets.warehouse import Warehouse

NAMESPACE_VARIABLE = "OPENLINEAGE_NAMESPACE"
DEFAULT_NAMESPACE = "open-data-governance"
HUB_NAMESPACE = "hf://datasets"
# uuid5 namespace of the step runs' ids: the same Dagster run, asset and partition always give the same runId.
STEP_RUN_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:open-data-governance:openlineage:step-run")


@dataclass(frozen=True)
class LineageDataset:
    """A dataset as an event names it; `decision`: the license decision facet's fields, on what the decision
    governs (the decision itself, the snapshot's files, the release)."""

    namespace: str
    name: str
    decision: dict | None = None


StepDatasets = tuple[list[LineageDataset], list[LineageDataset]]  # (inputs, outputs)


@dataclass(frozen=True)
class Step:
    """One asset step of a Dagster run, as OpenLineage sees it."""

    asset: str
    dataset_id: str
    dagster_run_id: str
    dagster_job: str

    @property
    def namespace(self) -> str:
        return os.environ.get(NAMESPACE_VARIABLE) or DEFAULT_NAMESPACE

    @property
    def job_name(self) -> str:
        return f"{self.asset}.{self.dataset_id}"

    @property
    def run_id(self) -> str:
        return str(uuid.uuid5(STEP_RUN_IDS, f"{self.dagster_run_id}/{self.asset}/{self.dataset_id}"))


def lineage_configured() -> bool:
    """Whether anything configures an OpenLineage transport, checked without importing the client: the places its
    own configuration lookup reads."""
    if os.environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return False
    if os.environ.get("OPENLINEAGE_URL") or any(name.startswith("OPENLINEAGE__") for name in os.environ):
        return True
    files = (os.environ.get("OPENLINEAGE_CONFIG"), "openlineage.yml",
             os.path.join(os.path.expanduser("~/.openlineage"), "openlineage.yml"))
    return any(path and os.path.isfile(path) for path in files)


def emits_lineage(asset_fn: Callable) -> Callable:
    """Wrap an asset's body (a function or a generator) so that each step emits its OpenLineage run events when
    OpenLineage is configured. Inputs and outputs are read from the warehouse: at START and FAIL what the step reads,
    at COMPLETE also what it wrote (nothing, when the asset was not materialised, e.g. a refused publish)."""
    signature = inspect.signature(asset_fn)

    def begin(args, kwargs) -> _Emission | None:
        if not lineage_configured():
            return None
        bound = signature.bind(*args, **kwargs).arguments
        try:
            return _Emission(bound["context"], bound["warehouse"], asset_fn.__name__)
        except Exception as error:  # lineage is an observer: the step runs without it
            bound["context"].log.warning(f"OpenLineage: no events for this step: {error}")
            return None

    if inspect.isgeneratorfunction(asset_fn):
        @functools.wraps(asset_fn)
        def generator_step(*args, **kwargs):
            emission = begin(args, kwargs)
            if emission is None:
                return (yield from asset_fn(*args, **kwargs))
            materialized = False
            try:
                for item in asset_fn(*args, **kwargs):
                    materialized = materialized or isinstance(item, (dg.MaterializeResult, dg.Output))
                    yield item
            except BaseException as error:
                emission.fail(error)
                raise
            emission.complete(materialized)

        return generator_step

    @functools.wraps(asset_fn)
    def step(*args, **kwargs):
        emission = begin(args, kwargs)
        if emission is None:
            return asset_fn(*args, **kwargs)
        try:
            result = asset_fn(*args, **kwargs)
        except BaseException as error:
            emission.fail(error)
            raise
        emission.complete(materialized=True)
        return result

    return step


class _Emission:
    """The events of one step, sent through the client (assets/lineage_events.py, imported only here)."""

    def __init__(self, context: dg.AssetExecutionContext, warehouse: Warehouse, asset: str):
        from assets.lineage_events import LineageClient

        self.context, self.warehouse = context, warehouse
        self.step = Step(asset, context.partition_key, context.run_id, context.run.job_name)
        self.client = LineageClient(self.step, warn=context.log.warning)
        self.client.emit("START", inputs=self.datasets(materialized=False)[0])

    def complete(self, materialized: bool) -> None:
        inputs, outputs = self.datasets(materialized)
        self.client.emit("COMPLETE", inputs=inputs, outputs=outputs)
        self.client.close()

    def fail(self, error: BaseException) -> None:
        self.client.emit("FAIL", inputs=self.datasets(materialized=False)[0], error=safe_message(error))
        self.client.close()

    def datasets(self, materialized: bool) -> StepDatasets:
        try:
            catalog = load_catalog()
            entry = catalog.get(self.step.dataset_id)
            # taken down whole: nothing of it is read or written any more
            if whole_dataset_request(dataset_takedowns(entry.id, catalog)):
                return [], []
            return STEP_DATASETS[self.step.asset](self.warehouse, entry, self.context.run_id, materialized)
        except Exception as error:  # what is not recorded (yet) is left out; the step goes on either way
            self.context.log.debug(f"OpenLineage: datasets of {self.step.job_name} not known: {error}")
            return [], []


def safe_message(error: BaseException) -> str:
    """The error as the FAIL event carries it: credentials in URLs redacted, and the value of any environment
    variable named like a secret (HF_TOKEN, ...) replaced, wherever it appears."""
    message = redact(error.description if isinstance(error, dg.Failure) and error.description
                     else f"{type(error).__name__}: {error}")
    for name, value in os.environ.items():
        if SECRET_VARIABLE.search(name) and len(value) >= 6 and value in message:
            message = message.replace(value, REDACTED)
    return message


# --- What each step reads and writes, from the warehouse. Imports of the asset modules are inside the functions:
# they import this module for the decorator.

def raw_source_datasets(warehouse: Warehouse, entry: CatalogEntry, run_id: str, materialized: bool) -> StepDatasets:
    from assets.ingest import last_fetch

    source = this_runs_source(warehouse, entry, run_id) if materialized else last_fetch(warehouse, entry)
    inputs = [upstream_dataset(entry, source)] if source else []
    return inputs, raw_files(source) if materialized else []


def license_decision_datasets(warehouse: Warehouse, entry: CatalogEntry, run_id: str,
                              materialized: bool) -> StepDatasets:
    from assets.provenance import latest_source

    source = latest_source(warehouse, entry.id, run_id)
    evidence = [file_dataset(blob["path"]) for blob in json.loads(source["evidence"]).values()]
    outputs = [LineageDataset(f"duckdb://{Path(warehouse.path).resolve()}", f"governance.datasets/{entry.id}",
                              decision_facts(warehouse, entry, source))] if materialized else []
    return raw_files(source) + evidence, outputs


def snapshot_datasets(warehouse: Warehouse, entry: CatalogEntry, run_id: str, materialized: bool) -> StepDatasets:
    from assets.provenance import latest_source

    source = latest_source(warehouse, entry.id, run_id)
    if not materialized:
        return raw_files(source), []
    facts = decision_facts(warehouse, entry, source)
    return raw_files(source), [LineageDataset("file", path, facts) for path in snapshot_files(warehouse, facts)]


def hub_release_datasets(warehouse: Warehouse, entry: CatalogEntry, run_id: str, materialized: bool) -> StepDatasets:
    from assets.provenance import latest_source

    facts = decision_facts(warehouse, entry, latest_source(warehouse, entry.id, run_id))
    inputs = [file_dataset(path) for path in snapshot_files(warehouse, facts)]
    if not materialized:
        return inputs, []
    row = warehouse.fetch_one("SELECT published_repo, published_tag FROM governance.snapshots WHERE snapshot_id = ?",
                              [facts["snapshotId"]])
    return inputs, [LineageDataset(HUB_NAMESPACE, f"{row['published_repo']}@{row['published_tag']}", facts)]


STEP_DATASETS = {"raw_source": raw_source_datasets, "license_decision": license_decision_datasets,
                 "snapshot": snapshot_datasets, "hub_release": hub_release_datasets}


def this_runs_source(warehouse: Warehouse, entry: CatalogEntry, run_id: str) -> dict | None:
    return warehouse.fetch_one("SELECT * FROM governance.sources WHERE dataset_id = ? AND run_id = ?"
                               " ORDER BY checked_at DESC LIMIT 1", [entry.id, run_id])


def upstream_dataset(entry: CatalogEntry, source: dict) -> LineageDataset:
    """Where the source is, public locations only (assets/store.py source_location, as provenance.json says it)."""
    from assets.store import source_location

    location = source_location(entry, source)
    if "uri" not in location:
        namespace = os.environ.get(NAMESPACE_VARIABLE) or DEFAULT_NAMESPACE
        return LineageDataset(namespace, f"sources/{entry.id}/{location['name']}")
    parts = urlsplit(location["uri"])
    return LineageDataset(f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/"))


def raw_files(source: dict | None) -> list[LineageDataset]:
    """The raw store's blob of the source, or each input file of a source of several files."""
    if source is None:
        return []
    inputs = json.loads(source.get("inputs") or "[]")
    return [file_dataset(source["raw_path"]), *(file_dataset(item["path"]) for item in inputs)]


def file_dataset(path: str) -> LineageDataset:
    return LineageDataset("file", str(Path(path).resolve()))


def decision_facts(warehouse: Warehouse, entry: CatalogEntry, source: dict) -> dict:
    """The facet's fields: the license decided (SPDX id, else its name), its use class, the decision, the policy
    and the id of the snapshot made under it from these source bytes."""
    from assets.identity import snapshot_id_for_decision
    from assets.store import input_sha256s

    row = warehouse.fetch_one("SELECT * FROM governance.datasets WHERE dataset_id = ?", [entry.id])
    snapshot_id = snapshot_id_for_decision(entry, input_sha256s(source), json.loads(row["decision_record"]))
    return {"license": row["license_spdx"] or row["license_name"] or "unknown", "use": row["license_use"],
            "decision": row["decision"], "policy": row["policy"], "snapshotId": snapshot_id}


def snapshot_files(warehouse: Warehouse, facts: dict) -> list[str]:
    from assets.splits import snapshot_splits

    row = warehouse.fetch_one("SELECT * FROM governance.snapshots WHERE snapshot_id = ?", [facts["snapshotId"]])
    return [str(split.parquet_path) for split in snapshot_splits(row).values()] if row else []
