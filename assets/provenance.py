"""Provenance: decide, from the gathered evidence and the dataset's policy, whether it may be published."""

import dataclasses
import json

import dagster as dg

from assets.catalog import load_catalog
from assets.derived import derived_evidence, derived_record, published_name, recorded_inputs, withdrawn_inputs
from assets.evidence import gather_evidence
from assets.hub import HubTarget
from assets.ingest import raw_source, taken_down_result
from assets.lineage import emits_lineage
from assets.partitions import dataset_partitions
from assets.steward import (
    StewardReview,
    StewardReviewError,
    current_override,
    override_record,
    policy_and_sign_off,
)
from assets.opt_out import as_published, published_signal, recorded_signals
from assets.takedowns import dataset_takedowns, whole_dataset_request
from assets.warehouse import WAREHOUSE_POOL, Warehouse, as_json
from licenses import LicenseRelease, decide, load_policy
from licenses.opt_out import opt_out_decision


@dg.asset(
    partitions_def=dataset_partitions,
    deps=[raw_source],
    group_name="provenance",
    code_version="1",
    kinds={"python"},
    pool=WAREHOUSE_POOL,
)
@emits_lineage
def license_decision(context: dg.AssetExecutionContext, config: StewardReview, warehouse: Warehouse,
                     hub: HubTarget) -> dg.MaterializeResult:
    """The dataset's license, normalised to SPDX from every signal found (catalog, LICENSE file,
    Hub card YAML, datapackage.json, and every restriction stated in those, a NOTICE or a README body), the
    copyright holders and attribution (NOTICE), and the policy decision:
    publish, blocked or quarantine, with the reasons a steward reads. An opt-out read at ingest (robots.txt for
    AI crawlers, a TDM reservation) quarantines it, quoted, unless the sign-off names a permission granted to the
    organisation that publishes (the Hub namespace). A steward may launch it with another policy and / or a
    sign-off (config); the override is recorded and holds for these source bytes. A derived dataset's license is
    the conjunction of its inputs' decided licenses (attribution to each, share-alike if any is), and an input
    withdrawn or taken down blocks it. A dataset taken down whole is not decided again: its last decision stays on
    record."""
    entry = load_catalog().get(context.partition_key)
    whole = whole_dataset_request(dataset_takedowns(entry.id))
    if whole:
        return taken_down_result(context, whole, "no license decision made")
    source = latest_source(warehouse, entry.id, context.run_id)
    inputs = recorded_inputs(source)
    if entry.source.kind == "derived":
        evidence = derived_evidence(entry, inputs)
    else:
        evidence_files = {name: blob["path"] for name, blob in json.loads(source["evidence"]).items()}
        evidence = gather_evidence(entry, evidence_files)
    try:
        override = current_override(config, warehouse, entry.id, source["raw_sha256"], context.run_id)
    except StewardReviewError as error:
        # The steward's own input: the run fails with what to change as its message, not a stack trace of ours.
        raise dg.Failure(description=f"{entry.id}: launchpad config of license_decision: {error}",
                         allow_retries=False) from None
    policy, sign_off = policy_and_sign_off(entry, override)
    opt_outs = [published_signal(signal) for signal in recorded_signals(source.get("opt_out"))]
    decision = opt_out_decision(decide(evidence.signals, load_policy(policy), sign_off=sign_off), opt_outs,
                                hub.namespace)
    withdrawn = withdrawn_inputs(warehouse, inputs)
    if withdrawn:  # no sign-off releases it: the input itself may no longer be shared
        decision = dataclasses.replace(decision, decision="blocked", reasons=[w["reason"] for w in withdrawn],
                                       release=None)
    if inputs and decision.license.attribution:
        decision = dataclasses.replace(decision, obligations=[*decision.obligations, "credit every dataset it is "
                                       "built from, as each one's card asks: " + "; ".join(
                                           f"{item['dataset_id']} ({published_name(item)})" for item in inputs)])
    record = {
        **decision.to_dict(),
        "signals": [s.to_dict() for s in evidence.signals],
        "copyright_notices": evidence.notices,
        "copyright_holders": evidence.holders,
        "attribution": evidence.attribution,
        "credit": evidence.credit,
        "source_sha256": source["raw_sha256"],
        "steward_override": override_record(override),
        "opt_out": as_published(json.loads(source["opt_out"])) if source.get("opt_out") else None,
        **({"derived_from": derived_record(inputs)} if inputs else {}),
        **({"inputs_withdrawn": withdrawn} if withdrawn else {}),
    }
    license_info = decision.license
    with warehouse.connect() as connection:
        connection.execute(
            "INSERT OR REPLACE INTO governance.datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
            [entry.id, entry.title, source["source_uri"], license_info.spdx, license_info.name, license_info.use,
             license_info.attribution, license_info.share_alike, license_info.no_derivatives, decision.decision,
             "; ".join(decision.reasons), decision.needs_review, decision.policy, evidence.holders,
             as_json(record), context.run_id],
        )
    context.log.info(f"{entry.id}: {decision.decision} ({'; '.join(decision.reasons)})")
    return dg.MaterializeResult(
        metadata={
            "license": license_info.label,
            "license_spdx": license_info.spdx or "none",
            "published_as": published_as(decision.release),
            "license_use": license_info.use,
            "decision": decision.decision,
            "reasons": dg.MetadataValue.md("\n".join(f"- {reason}" for reason in decision.reasons)),
            "obligations": dg.MetadataValue.md("\n".join(f"- {o}" for o in decision.obligations) or "none"),
            "needs_review": decision.needs_review,
            "policy": decision.policy,
            "sign_off": dg.MetadataValue.json(decision.sign_off.to_dict() if decision.sign_off else {}),
            "copyright_holders": evidence.holders,
            "signals": dg.MetadataValue.json([s.to_dict() for s in evidence.signals]),
            "opt_out": dg.MetadataValue.json([s.to_dict() for s in opt_outs]),
        },
        data_version=dg.DataVersion(f"{source['raw_sha256'][:16]}-{decision.decision}"),
    )


def published_as(release: LicenseRelease | None) -> str:
    """How the card names the license and where the published LICENSE text comes from, for the steward."""
    if release is None:
        return "not published"
    hub = release.hub_license + (f" / license_name {release.license_name}" if release.license_name else "")
    kind, _, origin = release.text_from.partition(":")
    text = {"upstream": f"the source's {origin}", "spdx": f"the SPDX text of {origin}",
            "statement": f"the statement from {origin}, verbatim"}[kind]
    return f"card license: {hub}; LICENSE: {text}"


def latest_source(warehouse: Warehouse, dataset_id: str, run_id: str) -> dict:
    """This run's fetch when there is one, else the latest: a steward may re-decide without re-fetching. Latest
    by when a run last looked (checked_at): an unchanged-upstream row keeps its fetch's retrieved_at."""
    source = warehouse.fetch_one(
        "SELECT * FROM governance.sources WHERE dataset_id = ?"
        " ORDER BY run_id = ? DESC, coalesce(checked_at, retrieved_at) DESC LIMIT 1",
        [dataset_id, run_id],
    )
    if source is None:
        raise RuntimeError(f"{dataset_id}: no ingested source yet; materialise raw_source first")
    return source
