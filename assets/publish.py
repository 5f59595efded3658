"""Publish: a vetted snapshot goes to the Hub in one commit, tagged with its snapshot id, with its card."""

import json
from pathlib import Path

import dagster as dg

from assets.catalog import CatalogEntry, load_catalog
from assets.hub import HubTarget
from assets.partitions import dataset_partitions
from assets.provenance import latest_source
from assets.store import snapshot, snapshot_id_for
from assets.warehouse import Warehouse

# Evidence files that travel with the data when present: license terms and notices must reach the consumer.
TRAVELLING_FILES = ("LICENSE", "NOTICE")


class PublishError(RuntimeError):
    """The Hub refused or failed the publish; the previous tag and snapshot are untouched."""


@dg.asset(
    partitions_def=dataset_partitions,
    deps=[snapshot],
    group_name="publish",
    code_version="1",
    kinds={"huggingface"},
)
def hub_release(context: dg.AssetExecutionContext, warehouse: Warehouse, hub: HubTarget) -> dg.MaterializeResult:
    """The snapshot published to the Hub as `<namespace>/<dataset>`: one commit holding the Parquet data, the
    dataset card, provenance.json and the LICENSE / NOTICE, tagged with the snapshot id. Only a snapshot whose
    license decision is `publish` and whose blocking checks passed is published; otherwise the reason is
    recorded. Re-publishing a published snapshot makes no new commit."""
    entry = load_catalog().get(context.partition_key)
    source = latest_source(warehouse, entry.id, context.run_id)
    snapshot_id = snapshot_id_for(entry, source["raw_sha256"])
    snapshot_row = warehouse.fetch_one("SELECT * FROM governance.snapshots WHERE snapshot_id = ?", [snapshot_id])
    dataset_row = warehouse.fetch_one("SELECT * FROM governance.datasets WHERE dataset_id = ?", [entry.id])
    refusal = publish_refusal(dataset_row, snapshot_row)
    if refusal:
        context.log.warning(f"{entry.id}: not published: {refusal}")
        return dg.MaterializeResult(metadata={"published": False, "reason": refusal, "snapshot_id": snapshot_id})
    repo_id = hub.repo_id(entry.id)
    try:
        commit_oid, created = push_snapshot(entry, repo_id, {**source, **snapshot_row},
                                            json.loads(dataset_row["decision_record"]), warehouse)
    except Exception as error:
        message = f"{entry.id}: publishing {snapshot_id} to {repo_id} failed: {hub_error_message(error)}"
        with warehouse.connect() as connection:
            connection.execute("UPDATE governance.snapshots SET publish_error = ? WHERE snapshot_id = ?",
                               [message, snapshot_id])
        raise PublishError(message) from None
    with warehouse.connect() as connection:
        connection.execute(
            "UPDATE governance.snapshots SET published_repo = ?, published_revision = ?, published_tag = ?,"
            " published_at = coalesce(published_at, now()), publish_error = NULL WHERE snapshot_id = ?",
            [repo_id, commit_oid, snapshot_id, snapshot_id],
        )
    from huggingface_hub import constants

    url = f"{constants.ENDPOINT}/datasets/{repo_id}/tree/{snapshot_id}"
    return dg.MaterializeResult(
        metadata={"published": True, "new_commit": created, "repo_id": repo_id, "tag": snapshot_id,
                  "commit": commit_oid, "dagster/uri": dg.MetadataValue.url(url)},
        data_version=dg.DataVersion(commit_oid),
    )


def publish_refusal(dataset_row: dict | None, snapshot_row: dict | None) -> str | None:
    """The publish gate, enforced here too so materialising this asset alone can never bypass it."""
    if dataset_row is None or snapshot_row is None:
        return "no license decision or snapshot recorded yet"
    if dataset_row["decision"] != "publish":
        return f"license decision is {dataset_row['decision']}: {dataset_row['decision_reason']}"
    if snapshot_row["checks_passed"] is None:
        return "quality checks have not run on this snapshot"
    if not snapshot_row["checks_passed"]:
        return "blocking quality checks failed on this snapshot"
    return None


def push_snapshot(entry: CatalogEntry, repo_id: str, snapshot_row: dict, license_record: dict,
                  warehouse: Warehouse) -> tuple[str, bool]:
    """One atomic commit replacing the repo's files with the snapshot's, then a tag on that very commit.
    Returns (commit oid, whether a new commit was made)."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    from assets.card import DATA_FILE, render_card

    api = HfApi()
    tag = snapshot_row["snapshot_id"]
    api.create_repo(repo_id, repo_type="dataset", private=entry.visibility == "private", exist_ok=True)
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    existing_tag = next((ref for ref in refs.tags if ref.name == tag), None)
    if existing_tag:
        return existing_tag.target_commit, False
    snapshot_dir = Path(snapshot_row["parquet_path"]).parent
    checks = warehouse.fetch_all(
        "SELECT check_name, severity, passed FROM governance.check_results WHERE snapshot_id = ?"
        " QUALIFY row_number() OVER (PARTITION BY check_name ORDER BY checked_at DESC) = 1 ORDER BY check_name",
        [tag],
    )
    card = render_card(entry, license_record, snapshot_row, checks, repo_id)
    files = {
        DATA_FILE: snapshot_dir / "data.parquet",
        "provenance.json": snapshot_dir / "provenance.json",
        "README.md": str(card).encode("utf-8"),
    }
    evidence = json.loads(snapshot_row["evidence"])
    for name in TRAVELLING_FILES:
        if name in evidence:
            files[name] = Path(evidence[name]["path"])
    current = set(api.list_repo_files(repo_id, repo_type="dataset"))
    operations = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=content) for path, content in files.items()]
    operations += [CommitOperationDelete(path_in_repo=path) for path in sorted(current - set(files))
                   if path != ".gitattributes"]
    commit = api.create_commit(repo_id, operations, repo_type="dataset",
                               commit_message=f"Publish snapshot {tag}",
                               commit_description=f"License decision: {license_record['decision']}; "
                                                  f"source sha256 {snapshot_row['content_sha256']}")
    api.create_tag(repo_id, tag=tag, revision=commit.oid, repo_type="dataset",
                   tag_message=f"Snapshot {tag} of {entry.id}")
    return commit.oid, True


def hub_error_message(error: Exception) -> str:
    """One line naming the HTTP status and the Hub's own message; never headers (they carry the token)."""
    response = getattr(error, "response", None)
    status = f"HTTP {response.status_code}: " if response is not None else ""
    return status + (str(error).strip().splitlines() or [type(error).__name__])[0]
