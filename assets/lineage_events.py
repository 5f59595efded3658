"""The OpenLineage events of one asset step, built with the `openlineage-python` client and sent through the
transport its configuration names. Imported only when OpenLineage is configured (assets/lineage.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import ClassVar

import attr
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import DatasetFacet, error_message_run, job_type_job, parent_run

from assets import CODE_VERSION
from assets.lineage import LineageDataset, Step

PRODUCER = f"urn:open-data-governance:{CODE_VERSION}"
FACET_KEY = "openDataGovernance_licenseDecision"
# The facet's JSON Schema ships as assets/license_decision_facet.schema.json, whose $id this is.
FACET_SCHEMA_URL = ("urn:open-data-governance:openlineage:1-0-0:LicenseDecisionDatasetFacet.json"
                    "#/$defs/OpenDataGovernanceLicenseDecisionDatasetFacet")


@attr.define
class OpenDataGovernanceLicenseDecisionDatasetFacet(DatasetFacet):
    """The license decision that governs a dataset (a custom facet: prefix, key and schema per the spec)."""

    license: str
    use: str
    decision: str
    policy: str
    snapshotId: str  # noqa: N815 (the spec's camelCase)
    _additional_skip_redact: ClassVar[list[str]] = ["license", "use", "decision", "policy", "snapshotId"]

    @staticmethod
    def _get_schema() -> str:
        return FACET_SCHEMA_URL


class LineageClient:
    """Sends one step's events; a transport failure is a warning (`warn`), never the step's failure."""

    def __init__(self, step: Step, warn: Callable[[str], None]):
        self.step, self.warn = step, warn
        try:
            self.client: OpenLineageClient | None = OpenLineageClient()
        except Exception as error:
            self.client = None
            warn(f"OpenLineage: no events for {step.job_name}: the client's configuration failed: {error}")

    def emit(self, state: str, inputs: list[LineageDataset], outputs: list[LineageDataset] | None = None,
             error: str | None = None) -> None:
        if self.client is None:
            return
        try:
            self.client.emit(self.event(state, inputs, outputs or [], error))
        except Exception as failure:
            self.warn(f"OpenLineage: the {state} event of {self.step.job_name} was not sent: {failure}")

    def event(self, state: str, inputs: list[LineageDataset], outputs: list[LineageDataset],
              error: str | None) -> RunEvent:
        run_facets = {"parent": parent_facet(self.step)}
        if error is not None:
            run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(message=error,
                                                                                programmingLanguage="python")
        return RunEvent(
            eventType=RunState[state], eventTime=datetime.now(timezone.utc).isoformat(), producer=PRODUCER,
            run=Run(runId=self.step.run_id, facets=run_facets),
            job=Job(namespace=self.step.namespace, name=self.step.job_name, facets={
                "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="DAGSTER",
                                                        jobType="ASSET", producer=PRODUCER)}),
            inputs=[InputDataset(d.namespace, d.name, facets=dataset_facets(d)) for d in inputs],
            outputs=[OutputDataset(d.namespace, d.name, facets=dataset_facets(d)) for d in outputs],
        )

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            except Exception as failure:
                self.warn(f"OpenLineage: closing the transport failed: {failure}")


def parent_facet(step: Step) -> parent_run.ParentRunFacet:
    """The Dagster run the step belongs to: its run id (a UUID) and job, in the same namespace; it is the root."""
    job = dict(namespace=step.namespace, name=step.dagster_job)
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=step.dagster_run_id), job=parent_run.Job(**job),
        root=parent_run.Root(run=parent_run.RootRun(runId=step.dagster_run_id), job=parent_run.RootJob(**job)),
        producer=PRODUCER)


def dataset_facets(dataset: LineageDataset) -> dict:
    if dataset.decision is None:
        return {}
    return {FACET_KEY: OpenDataGovernanceLicenseDecisionDatasetFacet(**dataset.decision, producer=PRODUCER)}
