"""A snapshot's splits (train, validation, test, ...): one Parquet file each, as registered in
governance.snapshots. A snapshot registered before splits existed (its `splits` is NULL) is one split, `train`,
made of the row's own file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SOLE_SPLIT = "train"  # the name of a snapshot's only split when the snapshot names none


@dataclass(frozen=True)
class SplitFile:
    name: str
    parquet_path: Path
    row_count: int
    parquet_sha256: str
    columns: list[dict]  # [{"name", "type"}] as registered


def snapshot_splits(row: dict) -> dict[str, SplitFile]:
    """The splits of a governance.snapshots row, in the order the row lists them."""
    splits = row.get("splits")
    if splits is None:
        return {SOLE_SPLIT: SplitFile(SOLE_SPLIT, Path(row["parquet_path"]), row["row_count"], row["parquet_sha256"],
                                      _json(row["columns"]))}
    listed = _json(splits)
    if not listed:
        raise ValueError(f"snapshot {row.get('snapshot_id')}: its `splits` lists no split")
    return {name: SplitFile(name, Path(split["parquet_path"]), split["row_count"], split["sha256"],
                            list(split["columns"]))
            for name, split in listed.items()}


def _json(value: object) -> object:
    """DuckDB returns a JSON column as its text; a row built in Python may hold the value itself."""
    return json.loads(value) if isinstance(value, str) else value
