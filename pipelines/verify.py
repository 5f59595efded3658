"""Verify a published snapshot as a consumer: download it, check every file's sha256 (each Parquet shard of every
split among them) against its provenance.json and croissant.json, that each split's shards hold the rows
provenance.json records, and print the license, its obligations and whether commercial use is allowed. It also
reads the repo's status.json on main, which says what became of published snapshots after publishing: a license
notice is printed (the snapshot stays licensed as it was published), as is a notice or withdrawal lifted when main
was restored; a withdrawn repo, a taken-down one or a tag purged by a takedown fails, saying when, why, which
requests and which snapshot to use instead.

    uv run python -m pipelines.verify <repo_id> --revision <tag>

Exit status 0 when every file matches both records, 1 on any mismatch, when the snapshot cannot be fetched, or when
it was withdrawn or taken down."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from assets.convert import file_sha256
from assets.croissant import PARQUET, license_file_url, license_urls, source_label
from assets.publication_status import STATUS_FILE
from assets.splits import published_splits

# Files no record can vouch for: the card, and croissant.json (it cannot hold its own sha256); .gitattributes is
# the Hub's plumbing.
# status.json speaks of the repo, not of the snapshot (assets/publication_status.py).
UNRECORDED_FILES = {"README.md", "croissant.json", ".gitattributes", STATUS_FILE}
LIFTED = {"notice": "license notice", "withdraw": "withdrawn"}  # the actions a restore of main can lift
COMMERCIAL_USE = {"commercial": "yes", "non-commercial": "no", "research-only": "no (research only)",
                  "unknown": "unknown: treat as no until the license is identified"}


@dataclass
class Verification:
    """What was checked and every problem found; the snapshot is verified only when there are no problems."""

    verified: dict[str, str] = field(default_factory=dict)  # path -> sha256 that matched every record naming it
    problems: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)


def verify_files(files: dict[str, Path]) -> Verification:
    """Check the snapshot's files (path in the repo -> local path) against provenance.json and croissant.json."""
    result = Verification()
    records = {name: _load_json(files, name, result) for name in ("provenance.json", "croissant.json")}
    if not all(records.values()):
        return result
    provenance, croissant = records["provenance.json"], records["croissant.json"]
    result.provenance = provenance
    expected = recorded_sha256s(provenance, croissant, result)
    for path, (sha256, recorded_in) in sorted(expected.items()):
        if path not in files:
            result.problems.append(f"{path} is listed in {recorded_in} but missing from the snapshot")
            continue
        actual = file_sha256(files[path])
        if actual != sha256:
            result.problems.append(f"{path}: sha256 {actual} does not match {recorded_in} ({sha256})")
        else:
            result.verified[path] = actual
    unvouched = sorted(set(files) - set(expected) - UNRECORDED_FILES)
    result.problems += [f"{path} is in the snapshot but in neither provenance.json nor croissant.json"
                        for path in unvouched]
    result.problems += license_mismatches(provenance, croissant)
    result.problems += split_mismatches(provenance, croissant, {path: files[path] for path in result.verified})
    return result


def split_mismatches(provenance: dict, croissant: dict, verified: dict[str, Path]) -> list[str]:
    """Each split's shards hold the rows provenance.json records for it (counted from the Parquet footers of the
    shards whose sha256 matched; a split with a mismatched shard is already reported), every data file belongs to
    one split, and croissant.json has one RecordSet per split."""
    import pyarrow.parquet as pq

    splits = published_splits(provenance)
    problems = []
    listed = [path for split in splits.values() for path in split.get("files") or []]
    problems += [f"{path}: listed in more than one split of provenance.json" for path in sorted(set(listed))
                 if listed.count(path) > 1]
    problems += [f"{path}: data file in no split of provenance.json"
                 for path in sorted(set(provenance.get("files") or {}) - set(listed))]
    problems += [f"{path}: in a split of provenance.json but not among its files"
                 for path in sorted(set(listed) - set(provenance.get("files") or {}))]
    for name, split in splits.items():
        shards = split.get("files") or []
        if not shards or not all(path in verified for path in shards):
            continue
        try:
            rows = sum(pq.read_metadata(verified[path]).num_rows for path in shards)
        except (OSError, ValueError) as error:
            problems.append(f"split {name}: its shards cannot be read as Parquet ({error})")
            continue
        if rows != split.get("row_count"):
            problems.append(f"split {name}: its shards hold {rows} rows, provenance.json records "
                            f"{split.get('row_count')}")
    if "splits" in provenance:
        record_sets = [item.get("@id") for item in croissant.get("recordSet") or []]
        if record_sets != list(splits):
            problems.append(f"croissant.json has record sets {record_sets}, provenance.json splits {list(splits)}")
    return problems


def recorded_sha256s(provenance: dict, croissant: dict, result: Verification) -> dict[str, tuple[str, str]]:
    """path -> (sha256, the records naming it). Data files must be in both records, with the same sha256."""
    from_provenance = {path: facts["sha256"] for path, facts in provenance.get("files", {}).items()}
    file_objects = _file_objects(croissant)
    from_croissant = {path: item["sha256"] for path, item in file_objects.items() if item.get("sha256")}
    unhashed = sorted(set(file_objects) - set(from_croissant))
    result.problems += [f"{path}: croissant.json gives no sha256" for path in unhashed]
    croissant_data = {path for path, item in file_objects.items() if item.get("encodingFormat") == PARQUET}
    for path in sorted(set(from_provenance) ^ croissant_data):
        result.problems.append(f"{path}: data file listed in only one of provenance.json and croissant.json")
    expected: dict[str, tuple[str, str]] = {}
    for path in sorted(set(from_provenance) | set(from_croissant)):
        sha256s = {sha for sha in (from_provenance.get(path), from_croissant.get(path)) if sha}
        if len(sha256s) > 1:
            result.problems.append(f"{path}: provenance.json and croissant.json record different sha256s")
        recorded_in = " and ".join(name for name, record in (("provenance.json", from_provenance),
                                                              ("croissant.json", from_croissant)) if path in record)
        expected[path] = (from_provenance.get(path) or from_croissant[path], recorded_in)
    return expected


def license_mismatches(provenance: dict, croissant: dict) -> list[str]:
    try:
        record = provenance["license"]
        release = record.get("release")  # where a license without an SPDX id or URL is published
        published = license_file_url(croissant.get("url") or "", provenance["snapshot_id"], release) if release else ""
        expected = license_urls(record["license"], published)
    except (KeyError, TypeError, ValueError) as error:
        return [f"provenance.json names no usable license ({error})"]
    stated = croissant.get("license")
    stated = stated if isinstance(stated, list) else [stated]
    return [] if stated == expected else [f"croissant.json states license {stated}, provenance.json {expected}"]


def download(repo_id: str, revision: str) -> tuple[dict[str, Path], str]:
    """Every file of the repo at `revision`, pinned to the commit the revision names when the download starts,
    with one progress bar over all the bytes. Returns (path in repo -> local path, commit sha)."""
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.utils import disable_progress_bars
    from tqdm import tqdm

    info = HfApi().dataset_info(repo_id, revision=revision, files_metadata=True)
    siblings = [s for s in info.siblings if s.rfilename != ".gitattributes"]
    disable_progress_bars()  # one bar for the whole snapshot instead of one per file
    files = {}
    with tqdm(total=sum(s.size or 0 for s in siblings), unit="B", unit_scale=True, file=sys.stderr,
              desc=f"downloading {repo_id}@{revision}") as bar:
        for sibling in siblings:
            files[sibling.rfilename] = Path(hf_hub_download(repo_id, sibling.rfilename, repo_type="dataset",
                                                            revision=info.sha))
            bar.update(sibling.size or 0)
    return files, info.sha


def download_failure(error: Exception, repo_id: str, revision: str) -> str | None:
    """One line naming why the snapshot could not be downloaded, or None for an error that is not the Hub's or the
    network's (a bug, shown with its traceback). Never the token."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError,
                                        OfflineModeIsEnabled, RepositoryNotFoundError, RevisionNotFoundError)

    from assets.hub import hub_error_message, scrub_token

    # The Hub answers a missing repo and a private one alike (401 RepoNotFound): it never says which.
    visible = "with this token" if os.environ.get("HF_TOKEN") else "without a token (set HF_TOKEN for a private one)"
    if isinstance(error, GatedRepoError):
        return f"dataset repo {repo_id} is gated: request access on the Hub, then set HF_TOKEN"
    if isinstance(error, RepositoryNotFoundError):
        return f"dataset repo {repo_id} not found or not visible {visible} on {constants.ENDPOINT}"
    if isinstance(error, RevisionNotFoundError):
        return f"revision {revision} of {repo_id} not found or not visible {visible} on {constants.ENDPOINT}"
    if isinstance(error, (OfflineModeIsEnabled, LocalEntryNotFoundError)) or _is_connection_failure(error):
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return scrub_token(f"cannot reach the Hub at {constants.ENDPOINT} ({type(error).__name__}: {reason}); "
                           "check the network, or HF_ENDPOINT for another Hub")
    if isinstance(error, HfHubHTTPError):
        return hub_error_message(error)
    return None


def _is_connection_failure(error: Exception) -> bool:
    from httpx2 import TransportError  # connection refused, name resolution failure, timeouts

    return isinstance(error, (TransportError, ConnectionError))


def print_report(repo_id: str, revision: str, commit: str, result: Verification) -> None:
    record = result.provenance
    license_record = record["license"]
    info = license_record["license"]
    print(f"verified {repo_id}@{revision} (commit {commit}): {len(result.verified)} file(s) match "
          "provenance.json and croissant.json")
    for path, sha256 in result.verified.items():
        print(f"  ok  {path}  sha256 {sha256}")
    print(f"snapshot: {record['snapshot_id']} ({record['row_count']} rows)")
    for name, split in published_splits(record).items():
        print(f"  split {name}: {split['row_count']} rows in {len(split['files'])} file(s)")
    print(f"license: {info.get('name') or info.get('spdx') or 'unknown'} (SPDX {info.get('spdx') or 'none'})"
          + (f", terms: {info['url']}" if info.get("url") else ""))
    print(f"commercial use allowed: {COMMERCIAL_USE.get(info['use'], info['use'])}")
    print(f"attribution required: {'yes' if info.get('attribution') else 'no'}; "
          f"share-alike: {'yes' if info.get('share_alike') else 'no'}")
    print("obligations:")
    for obligation in license_record.get("obligations") or ["none beyond the license"]:
        print(f"  - {obligation}")
    print(f"source: {source_label(record['source'])} (sha256 {record['source']['sha256']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.verify", description=__doc__.splitlines()[0])
    parser.add_argument("repo_id", help="the published dataset repo, e.g. open-data/palmer-penguins")
    parser.add_argument("--revision", required=True, help="the snapshot tag (or a commit sha)")
    args = parser.parse_args(argv)
    where = f"{args.repo_id}@{args.revision}"
    try:
        # main first: a taken-down snapshot's tag is gone, and main still says why.
        refusals, notices = status_verdict(repo_status(args.repo_id), args.revision)
        if refusals:
            print(f"verification FAILED for {where}:", file=sys.stderr)
            for refusal in refusals:
                print(f"  - {refusal}", file=sys.stderr)
            return 1
        files, commit = download(args.repo_id, args.revision)
    except Exception as error:
        cause = download_failure(error, args.repo_id, args.revision)
        if cause is None:
            raise
        print(f"verification FAILED for {where}: cannot download it: {cause}", file=sys.stderr)
        return 1
    result = verify_files(files)
    if result.problems:
        print(f"verification FAILED for {where} (commit {commit}):", file=sys.stderr)
        for problem in result.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print_report(args.repo_id, args.revision, commit, result)
    for notice in notices:
        print(f"NOTICE: {notice}")
    return 0


def repo_status(repo_id: str) -> dict | None:
    """The repo's status.json on main; None when nothing happened after publishing (or the repo is not there: the
    download then says so)."""
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        # The listing first: it fails once, in one line, where a file download retries a refused connection.
        info = HfApi().dataset_info(repo_id, revision="main")
    except (RepositoryNotFoundError, RevisionNotFoundError):
        return None
    if STATUS_FILE not in {sibling.rfilename for sibling in info.siblings}:
        return None
    path = hf_hub_download(repo_id, STATUS_FILE, repo_type="dataset", revision=info.sha)
    return json.loads(Path(path).read_text(encoding="utf-8"))


def status_verdict(status: dict | None, revision: str) -> tuple[list[str], list[str]]:
    """What status.json means for the snapshot at `revision`: (why it must not be used, notices to print)."""
    if not status:
        return [], []
    events = status.get("events", [])
    refusals = [f"taken down on {event['since']}: {event['reason']}; takedown request(s) "
                f"{', '.join(event['requests'])}" + use_instead(event, status)
                for event in events if revision in event.get("removed_tags", [])]
    last = next((event for event in reversed(events) if event["action"] in ("withdraw", "takedown")), None)
    if status["status"] == "withdrawn" and last and not refusals:
        refusals.append(f"withdrawn on {last['since']}: {last['reason']} (decided by {last['decided_by']})"
                        + use_instead(last, status))
    elif status["status"] == "taken_down" and last and not refusals:
        refusals.append(f"taken down on {last['since']}: {last['reason']}; takedown request(s) "
                        f"{', '.join(last['requests'])}" + use_instead(last, status))
    notices = []
    for index, event in enumerate(events):
        if event["action"] not in LIFTED or revision not in event.get("tags", {}):
            continue
        restore = next((later for later in events[index + 1:] if later["action"] == "restore"), None)
        if restore:  # the snapshot was publishable again: main holds a release again
            notices.append(f"{LIFTED[event['action']]} on {event['since']}: {event['reason']}; restored on main on "
                           f"{restore['since']}: {restore['reason']}")
        elif event["action"] == "notice":
            notices.append(f"license notice since {event['since']}: {event['reason']}; the license is now "
                           f"{event['license_now']}, this snapshot was published under {event['tags'][revision]} "
                           "and stays licensed so")
    return refusals, notices


def use_instead(event: dict, status: dict) -> str:
    """The snapshot to use instead: the one the action named, else the one main serves now (published since)."""
    if event.get("use_instead"):
        return f"; use {event['use_instead']} instead"
    if status.get("current_tag"):
        return f"; use {status['current_tag']} (main's current snapshot) instead"
    return "; no snapshot replaces it"


def _load_json(files: dict[str, Path], name: str, result: Verification) -> dict | None:
    if name not in files:
        result.problems.append(f"{name} is missing: the snapshot cannot be verified")
        return None
    try:
        return json.loads(files[name].read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        result.problems.append(f"{name} is not valid JSON: {error}")
        return None


def _file_objects(croissant: dict) -> dict[str, dict]:
    return {item["contentUrl"]: item for item in croissant.get("distribution", [])
            if item.get("@type") == "cr:FileObject" and item.get("contentUrl")}


if __name__ == "__main__":
    sys.exit(main())
