"""Verify a published snapshot as a consumer: download it, check every file's sha256 against its
provenance.json, and print the license, its obligations and whether commercial use is allowed.

    uv run python -m pipelines.verify <repo_id> --revision <tag>"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assets.convert import file_sha256


class VerificationError(RuntimeError):
    """The downloaded snapshot does not match its own provenance record."""


def verify_snapshot(folder: Path) -> dict:
    record_path = folder / "provenance.json"
    if not record_path.is_file():
        raise VerificationError("provenance.json is missing: the snapshot cannot be verified")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    for name, expected in record["files"].items():
        path = folder / name
        if not path.is_file():
            raise VerificationError(f"{name} is listed in provenance.json but missing from the snapshot")
        actual = file_sha256(path)
        if actual != expected["sha256"]:
            raise VerificationError(f"{name}: sha256 {actual} does not match provenance.json ({expected['sha256']})")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.verify", description=__doc__.splitlines()[0])
    parser.add_argument("repo_id")
    parser.add_argument("--revision", required=True, help="the snapshot tag (or a commit sha)")
    args = parser.parse_args(argv)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    try:
        folder = Path(snapshot_download(args.repo_id, repo_type="dataset", revision=args.revision))
        record = verify_snapshot(folder)
    except (VerificationError, HfHubHTTPError) as error:
        print(f"verification FAILED for {args.repo_id}@{args.revision}: {str(error).splitlines()[0]}",
              file=sys.stderr)
        return 1
    license_record = record["license"]["license"]
    print(f"verified {args.repo_id}@{args.revision}: {len(record['files'])} data file(s) match provenance.json")
    print(f"license: {license_record.get('name') or license_record.get('spdx')} (SPDX {license_record.get('spdx')})")
    print(f"commercial use allowed: {'yes' if license_record['use'] == 'commercial' else 'no'}")
    for obligation in record["license"].get("obligations") or []:
        print(f"obligation: {obligation}")
    print(f"source: {record['source']['uri']} (sha256 {record['source']['sha256']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
