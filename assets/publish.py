"""Publish: a vetted snapshot goes to the Hub in one atomic commit, tagged with its snapshot id.

The commit holds the Parquet data (each split as shards, see assets/shards.py), the dataset card, provenance.json,
spdx.json, croissant.json and the license and notice files, and deletes whatever an older snapshot left that no
longer belongs. Every published file is built from the snapshot's immutable records, so a retried or repeated
publish finds nothing to change."""

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from assets.after_publishing import AfterPublishingOutcome, after_license_change
from assets.card import render_card
from assets.catalog import CatalogEntry, load_catalog
from assets.convert import file_sha256
from assets.croissant import PARQUET, PublishedFile, croissant_document
from assets.fetch import LICENSE_FILES, NOTICE_FILES
from assets.hub import HubAccessError, HubTarget, hub_error_message, with_retries
from assets.hub_types import unloadable_reason
from assets.lineage import emits_lineage
from assets.partitions import dataset_check_spec, dataset_partitions
from assets.publication_status import STATUS_FILE, recorded_actions, status_bytes, status_document
from assets.release_push import PublishError, Release, push_release
from assets.republish import restore_main
from assets.shards import Shard, ShardingError, shard_name, snapshot_shards
from assets.spdx_document import SPDX_FILE, spdx_json
from assets.splits import SplitFile, snapshot_splits
from assets.store import latest_checks, run_snapshot, snapshot
from assets.takedown_hub import taken_down_check
from assets.takedowns import dataset_takedowns, whole_dataset_request
from assets.warehouse import Warehouse
from assets.workfiles import held_folder
from licenses import load_policy, spdx_text

PUBLISHED = dataset_check_spec(
    "published", asset="hub_release",
    description="Whether the dataset's current snapshot is on the Hub. Fails, naming why, for a dataset the gate "
                "held back (blocked: its license forbids it; quarantined: it waits for a steward; its snapshot "
                "not vetted): hub_release is then not materialised for that dataset, so it never looks published. "
                "For a dataset published before, it also says what became of its repo: license notice added, "
                "withdrawn, or main restored once it is publishable again.",
)


@dg.asset(
    partitions_def=dataset_partitions,
    deps=[snapshot],
    group_name="publish",
    code_version="2",
    kinds={"huggingface"},
    output_required=False,
    check_specs=[PUBLISHED],
)
@emits_lineage
def hub_release(context: dg.AssetExecutionContext, warehouse: Warehouse, hub: HubTarget):
    """The snapshot published to the Hub as `<namespace>/<dataset>`: one commit holding the Parquet data (each
    split as `data/<split>-0000i-of-0000N.parquet` shards, as `datasets` writes them), the dataset card,
    provenance.json, spdx.json, croissant.json and the LICENSE / NOTICE, tagged with the snapshot id. Only a
    snapshot whose license decision is `publish` and whose blocking checks passed is published, and only then is
    this asset materialised; otherwise its `published` check fails with the reason. Re-publishing a published
    snapshot makes no new commit; a failed publish is recorded in `governance.snapshots.publish_error` and leaves
    the previous tag as it was. A dataset published before whose decision is now blocked or quarantine gets, once,
    its policy's action on the repo's main (a license notice on the card, or the data withdrawn; tags kept): the
    `published` check says which, and `governance.withdrawals` records it. Decided publish again over the snapshot
    already tagged (its license changed back), its main is restored, once: one commit puts the release back and
    status.json says so (assets/republish.py). Published snapshots holding taken-down rows are purged by the
    snapshot step, before checks (assets/store.py); a dataset taken down whole is never published again, and its
    repo keeps only a card saying so (assets/takedown_hub.py)."""
    entry = load_catalog().get(context.partition_key)
    whole = whole_dataset_request(dataset_takedowns(entry.id))
    if whole:
        yield taken_down_check(context, warehouse, hub, entry, whole, PUBLISHED.name)
        return
    source, snapshot_id, snapshot_row = run_snapshot(warehouse, entry, context.run_id)
    dataset_row = warehouse.fetch_one("SELECT * FROM governance.datasets WHERE dataset_id = ?", [entry.id])
    refusal = publish_refusal(dataset_row, snapshot_row)
    if refusal:
        # A policy outcome, not a fault: the step succeeds, the asset stays unmaterialised for this dataset. What
        # was published before is handled by the policy: a license notice, or the data withdrawn from main.
        after = after_decision_changed(entry, dataset_row, warehouse, hub, context.run_id)
        said = f"{refusal}; {after.line()}" if after else refusal
        context.log.warning(f"{entry.id}: not published: {said}")
        yield dg.AssetCheckResult(check_name=PUBLISHED.name, passed=False, severity=dg.AssetCheckSeverity.WARN,
                                  description=said, metadata={"reason": refusal, "snapshot_id": snapshot_id,
                                                              **(after.metadata() if after else {})})
        return
    repo_id = hub.repo_id(entry.id)
    # Shards are written beside the snapshot, in a work folder the snapshot step removes if a killed run left it.
    work_dir = Path(tempfile.mkdtemp(prefix=f".publish-{snapshot_id}-", dir=warehouse.snapshots_dir / entry.id))
    try:
        with held_folder(work_dir):
            api = hub.client()
            hub_url = hub.public_base(api.endpoint)
            # What became of earlier tags (a notice, a purge) stays readable on main after this publish.
            status = status_document(recorded_actions(warehouse, entry.id),
                                     published=(snapshot_id, datetime.now(timezone.utc)))
            release = build_release(entry, repo_id, hub_url, snapshot_row, json.loads(source["evidence"]),
                                    latest_checks(warehouse, snapshot_id), work_dir, status=status,
                                    log=lambda message: context.log.info(f"{entry.id}: {message}"))
            commit_oid, new_commit = with_retries(lambda: push_release(api, release),
                                                  log=lambda message: context.log.warning(f"{entry.id}: {message}"))
            # Published before: a notice or withdrawal since then is lifted now that it is publishable again.
            restored = with_retries(lambda: restore_main(api, warehouse, entry.id, release, dataset_row,
                                                         context.run_id)) if snapshot_row["published_tag"] else None
    except Exception as error:
        reason = str(error) if isinstance(error, (PublishError, HubAccessError)) else hub_error_message(error)
        message = f"{entry.id}: publishing {snapshot_id} to {repo_id} failed: {reason}"
        record_publish_failure(warehouse, snapshot_id, message)
        raise PublishError(message) from None
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    record_publish_success(warehouse, snapshot_id, repo_id, commit_oid)
    url = dg.MetadataValue.url(f"{hub_url}/datasets/{repo_id}/tree/{snapshot_id}")
    yield dg.MaterializeResult(
        metadata={"new_commit": new_commit, "repo_id": repo_id, "tag": snapshot_id, "commit": commit_oid,
                  "files": sorted(release.files), "hub_url": url, "dagster/uri": url},
        data_version=dg.DataVersion(commit_oid),
    )
    yield dg.AssetCheckResult(check_name=PUBLISHED.name, passed=True,
                              description=f"published as {repo_id}@{snapshot_id}"
                                          + (f"; {restored.line()}" if restored else ""),
                              metadata={"snapshot_id": snapshot_id, "hub_url": url,
                                        **(restored.metadata() if restored else {})})


def after_decision_changed(entry: CatalogEntry, dataset_row: dict | None, warehouse: Warehouse, hub: HubTarget,
                           run_id: str) -> AfterPublishingOutcome | None:
    """The after-publishing action for a dataset no longer decided publish; a failed commit fails the step."""
    if dataset_row is None or dataset_row["decision"] == "publish":
        return None
    try:
        return after_license_change(hub, warehouse, entry, dataset_row, run_id)
    except Exception as error:
        reason = str(error) if isinstance(error, HubAccessError) else hub_error_message(error)
        raise PublishError(f"{entry.id}: acting on the published repo after the license decision turned "
                           f"{dataset_row['decision']} failed: {reason}") from None


def publish_refusal(dataset_row: dict | None, snapshot_row: dict | None) -> str | None:
    """The publish gate, enforced here too so materialising this asset alone can never bypass it."""
    if dataset_row is None or snapshot_row is None:
        return "no license decision or snapshot recorded yet"
    if snapshot_row.get("retired_at"):
        return "the snapshot was retired: its files are gone"
    if dataset_row["decision"] != "publish":
        outcome = "quarantined" if dataset_row["decision"] == "quarantine" else dataset_row["decision"]
        return f"{outcome}: {dataset_row['decision_reason']}"
    if snapshot_row["checks_passed"] is None:
        return "quality checks have not run on this snapshot"
    if not snapshot_row["checks_passed"]:
        return "blocking quality checks failed on this snapshot"
    return None


def build_release(entry: CatalogEntry, repo_id: str, hub_url: str, snapshot_row: dict, evidence: dict,
                  checks: list[dict], work_dir: Path, status: dict | None = None,
                  log: Callable[[str], None] = lambda message: None) -> Release:
    """Assemble the commit's files from the snapshot's splits, the license evidence files fetched with the source
    (name -> {path, ...}) and the records. Each split goes out as Parquet shards (assets/shards.py); shards that
    must be rewritten are written into `work_dir`, which must outlive the upload. The published provenance.json is
    the snapshot's own with every shard (path, size, sha256) and each split's rows and shards, so every file at the
    tag tells the same story. `hub_url` is the Hub's public address: croissant.json names the repo there. The files
    name the source only where it is public (see store.source_location). `status`: the repo's status.json, carried
    forward when anything happened after an earlier publish (assets/publication_status.py); no record vouches for
    it, as it speaks of the repo, not of this snapshot."""
    try:
        splits = snapshot_splits(snapshot_row)
    except ValueError as error:
        raise PublishError(str(error)) from None
    snapshot_dir = next(iter(splits.values())).parquet_path.parent
    provenance = json.loads((snapshot_dir / "provenance.json").read_text(encoding="utf-8"))
    license_record = provenance["license"]
    vetted = {name: vetted_sha256(name, split, provenance) for name, split in splits.items()}
    license_texts = license_files(evidence, license_record)
    try:
        shards = snapshot_shards(splits, work_dir, other_files=len(license_texts) + 4, log=log)  # + card, records
    except ShardingError as error:
        raise PublishError(str(error)) from None
    for name, split_shards in shards.items():
        rows = sum(shard.row_count for shard in split_shards)
        if rows != splits[name].row_count:
            raise PublishError(f"{splits[name].parquet_path} holds {rows} rows, the snapshot records "
                               f"{splits[name].row_count} for split {name}; re-run the snapshot")
    hashed = {split.parquet_path: vetted[name] for name, split in splits.items()}
    data_files = [published_shard(name, shard, hashed) for name, split_shards in shards.items()
                  for shard in split_shards]
    published_provenance = {
        **provenance,
        "files": {file.path: {"sha256": file.sha256, "size_bytes": file.size_bytes} for file in data_files},
        "splits": {name: {"row_count": splits[name].row_count, "files": [shard.path for shard in split_shards]}
                   for name, split_shards in shards.items()},
    }
    files: dict[str, Path | bytes] = {
        **{shard.path: shard.local_path for split_shards in shards.values() for shard in split_shards},
        "provenance.json": json_bytes(published_provenance), **license_texts,
    }
    published = data_files + [published_file(path, content) for path, content in files.items()
                              if not path.endswith(".parquet")]
    namespace = repo_id.split("/")[0]
    files[SPDX_FILE] = spdx_json(provenance=published_provenance, license_record=license_record, files=published,
                                 dataset_url=f"{hub_url}/datasets/{repo_id}", publisher=namespace,
                                 creators=entry.creator, released_at=snapshot_row["created_at"])
    published.append(published_file(SPDX_FILE, files[SPDX_FILE]))
    croissant = croissant_document(
        provenance=published_provenance, license_record=license_record, checks=checks, files=published,
        dataset_url=f"{hub_url}/datasets/{repo_id}", description=entry.description, citation=entry.citation,
        publisher={"@type": "sc:Organization", "name": namespace, "url": f"{hub_url}/{namespace}"},
        creators=entry.creator,
        snapshot_created_at=snapshot_row["created_at"].isoformat(),
    )
    files["croissant.json"] = json_bytes(croissant)
    files["README.md"] = str(render_card(entry, license_record, published_provenance, checks, repo_id,
                                         published)).encode()
    if status:
        files[STATUS_FILE] = status_bytes(status)
    tag = snapshot_row["snapshot_id"]
    license_label = license_record["license"].get("spdx") or license_record["license"].get("name")
    split_sha256s = "; ".join(f"{name} {sha256}" for name, sha256 in vetted.items())
    return Release(
        repo_id=repo_id, tag=tag, private=entry.visibility == "private" or internal_policy(license_record),
        files=files,
        commit_message=f"Publish snapshot {tag}",
        commit_description=f"License {license_label}: {license_record['decision']}. Source sha256 "
                           f"{provenance['source']['sha256']}; Parquet sha256 {split_sha256s}.",
    )


def vetted_sha256(name: str, split: SplitFile, provenance: dict) -> str:
    """The split's Parquet file, checked against the sha256 recorded when it was vetted (in the snapshot's record
    and its provenance.json, under the file's published name) and against what `datasets` can load."""
    in_provenance = (provenance.get("files") or {}).get(shard_name(name, 0, 1)) or {}
    recorded = {sha256 for sha256 in (split.sha256, in_provenance.get("sha256")) if sha256}
    if not recorded:
        raise PublishError(f"{split.parquet_path}: no sha256 was recorded for split {name} when it was vetted; "
                           "re-run the snapshot")
    actual = file_sha256(split.parquet_path)
    if recorded != {actual}:
        raise PublishError(f"{split.parquet_path} no longer matches the sha256 recorded when it was vetted; "
                           "re-run the snapshot")
    unloadable = unloadable_reason(split.parquet_path)
    if unloadable:
        raise PublishError(f"the Hub's datasets library could not load the snapshot (split {name}: {unloadable})")
    return actual


def published_shard(split: str, shard: Shard, hashed: dict[Path, str]) -> PublishedFile:
    """A shard as croissant.json and the card list it; a warehouse file published as is was just hashed."""
    sha256 = hashed.get(shard.local_path) or file_sha256(shard.local_path)
    return PublishedFile(shard.path, sha256, shard.local_path.stat().st_size, PARQUET,
                         f"The snapshot's rows (split {split}: {shard.row_count} rows in this file).")


def json_bytes(record: dict) -> bytes:
    return (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def internal_policy(license_record: dict) -> bool:
    """A dataset cleared only by an internal policy (e.g. `research`) is published to a private repo."""
    return load_policy(license_record["policy"]).audience == "internal"


def license_files(evidence: dict, license_record: dict) -> dict[str, Path | bytes]:
    """The LICENSE / NOTICE files found beside the source travel under their own names. When the decided
    license's text is not among them, LICENSE holds it (see licenses/release.py): the license's full text from
    the SPDX list data, its copyright line filled from the recorded holders or marked as not stated, or the
    source's own statement verbatim (a public-domain statement, custom terms). An upstream file of that name
    that states no license (e.g. "see the website") then travels as UPSTREAM-LICENSE."""
    found: dict[str, Path | bytes] = {name: Path(evidence[name]["path"]) for name in LICENSE_FILES + NOTICE_FILES
                                      if name in evidence}
    release = license_record.get("release")
    if not release:
        raise PublishError("the license decision records no way to publish the license; decide the license again")
    kind, _, origin = release["text_from"].partition(":")
    if kind == "upstream":
        return found
    if kind == "spdx":
        text = spdx_text(origin, license_record.get("copyright_holders") or [])
        if text is None:
            raise PublishError(f"no full text of {origin} is available to publish with the data")
    else:
        text = release["statement"]
    if "LICENSE" in found:
        found["UPSTREAM-LICENSE"] = found.pop("LICENSE")
    found["LICENSE"] = (text.rstrip() + "\n").encode("utf-8")
    return found


def published_file(path: str, content: Path | bytes) -> PublishedFile:
    """What croissant.json and the card say of one file besides the data: its real sha256 and size, and what it
    is."""
    sha256 = file_sha256(content) if isinstance(content, Path) else hashlib.sha256(content).hexdigest()
    size = content.stat().st_size if isinstance(content, Path) else len(content)
    if path == "provenance.json":
        return PublishedFile(path, sha256, size, "application/json", "The snapshot's provenance record.")
    if path == SPDX_FILE:
        return PublishedFile(path, sha256, size, "application/ld+json", "The snapshot's SPDX 3.0.1 document.")
    return PublishedFile(path, sha256, size, "text/plain", "License or notice text that travels with the data.")


def record_publish_success(warehouse: Warehouse, snapshot_id: str, repo_id: str, commit_oid: str) -> None:
    with warehouse.connect() as connection:
        connection.execute(
            "UPDATE governance.snapshots SET published_repo = ?, published_revision = ?, published_tag = ?,"
            " published_at = coalesce(published_at, now()), publish_error = NULL WHERE snapshot_id = ?",
            [repo_id, commit_oid, snapshot_id, snapshot_id],
        )


def record_publish_failure(warehouse: Warehouse, snapshot_id: str, message: str) -> None:
    """A snapshot already published stays so: a later attempt's failure is the run's, not the snapshot's (a row
    never holds both a tag and an error)."""
    with warehouse.connect() as connection:
        connection.execute("UPDATE governance.snapshots SET publish_error = ? WHERE snapshot_id = ?"
                           " AND published_tag IS NULL", [message, snapshot_id])
