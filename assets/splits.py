"""A snapshot's splits: one Parquet file per split in the warehouse, listed in `governance.snapshots.splits` as
split name -> {"parquet_path", "row_count"} (and "sha256" when recorded) in the order consumers see them. A snapshot
recorded before splits existed holds one file, its `train` split."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# The names `datasets` accepts for a split (datasets.splits: `^\w+(\.\w+)*$`); also what keeps the published
# shard names `data/<split>-*` from matching another split's.
SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")
DEFAULT_SPLIT = "train"  # the split of a source of one file, and of a snapshot recorded before splits existed


@dataclass(frozen=True)
class SplitFile:
    """One split of a snapshot: its Parquet file in the warehouse, its rows and, when the snapshot records it, the
    sha256 the file had when it was vetted."""

    parquet_path: Path
    row_count: int
    sha256: str | None = None
    columns: list[dict] = field(default_factory=list)  # [{"name", "type"}] as registered


def snapshot_splits(row: dict) -> dict[str, SplitFile]:
    """The splits of a `governance.snapshots` row, in their recorded order. A row without `splits` is one `train`
    split: its `parquet_path`, `row_count` and `parquet_sha256`. Raises ValueError naming the snapshot when the
    record is unreadable or names a split `datasets` would refuse."""
    recorded = row.get("splits")
    if recorded is None:
        return {DEFAULT_SPLIT: SplitFile(Path(row["parquet_path"]), int(row["row_count"]), row.get("parquet_sha256"),
                                   _json(row.get("columns") or "[]"))}
    where = f"snapshot {row.get('snapshot_id')}"
    try:
        splits = _json(recorded)
        result = {name: SplitFile(Path(facts["parquet_path"]), int(facts["row_count"]), facts.get("sha256"),
                                  list(facts.get("columns") or []))
                  for name, facts in splits.items()}
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise ValueError(f"{where}: its splits record is not split name -> {{parquet_path, row_count}} "
                         f"({type(error).__name__}: {error})") from None
    if not result:
        raise ValueError(f"{where}: its splits record lists no split")
    invalid = [name for name in result if not SPLIT_NAME.match(name)]
    if invalid:
        raise ValueError(f"{where}: split name(s) {', '.join(map(repr, invalid))} are not valid for the Hub's "
                         "datasets library (letters, digits and underscores, parts separated by dots)")
    return result


def _json(value: object) -> object:
    """DuckDB returns a JSON column as its text; a row built in Python may hold the value itself."""
    return json.loads(value) if isinstance(value, str) else value


def published_splits(provenance: dict) -> dict[str, dict]:
    """The splits a published provenance.json records: split name -> {"row_count", "files": [paths in the repo]},
    in order. A snapshot published before splits existed is one `train` split holding every data file."""
    recorded = provenance.get("splits")
    if isinstance(recorded, dict) and recorded:
        return recorded
    return {DEFAULT_SPLIT: {"row_count": provenance.get("row_count"), "files": sorted(provenance.get("files") or {})}}
