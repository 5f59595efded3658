"""Parquet shards as the Hub's `datasets` library writes them (`push_to_hub`): each split published as
`data/<split>-00000-of-0000N.parquet`, shards of at most MAX_SHARD_BYTES and row groups of at most
MAX_ROW_GROUP_BYTES (its defaults, 500 MB and 100 MB, weighed as `datasets` weighs them: uncompressed bytes, the
rows of a row group from the split's average row size).

A split that fits in one shard, with row groups within the limit, is published as the warehouse's file itself.
A larger one is rewritten in contiguous row ranges, streaming a row group at a time: the split never sits in
memory whole, and the same file and limits give the same shards, byte for byte (with the same pyarrow), so a
repeated publish finds nothing to change.

One snapshot is one commit, and the Hub takes about MAX_FILES_PER_COMMIT files per commit comfortably: when the
shards of every split and the snapshot's other files would exceed that, the shard size is raised until they fit
(and the log says so). The previous snapshot's files that the commit deletes are not counted: a deletion uploads
nothing. When even that would take shards beyond the Hub's limit for one file (MAX_HUB_FILE_BYTES, 50 GB: about
5 TB of data in one commit), or the splits alone outnumber the files a commit holds, the snapshot cannot be
published as one commit and one tag: sharding stops with ShardingError, naming the sizes, before anything is
written or uploaded."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assets.splits import SplitFile

MAX_SHARD_BYTES = 500 * 10**6  # datasets.config.MAX_SHARD_SIZE, "500MB"
MAX_ROW_GROUP_BYTES = 100 * 10**6  # datasets.config.MAX_ROW_GROUP_SIZE, "100MB"
MAX_FILES_PER_COMMIT = 100
MAX_HUB_FILE_BYTES = 50 * 10**9
ZSTD_LEVEL = 1  # as the warehouse's snapshots are written (assets/convert.py)


class ShardingError(ValueError):
    """The snapshot cannot be cut into shards one commit can hold."""


@dataclass(frozen=True)
class Shard:
    """One published data file: its path in the repo, the file on disk and its rows."""

    path: str
    local_path: Path
    row_count: int


def shard_name(split: str, index: int, count: int) -> str:
    return f"data/{split}-{index:05d}-of-{count:05d}.parquet"


def uncompressed_bytes(parquet_path: Path) -> int:
    """The split's size as `datasets` weighs a shard: its data uncompressed (from the Parquet footer)."""
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(parquet_path)
    return sum(metadata.row_group(index).total_byte_size for index in range(metadata.num_row_groups))


def shard_bytes_for_commit(split_bytes: list[int], other_files: int, log: Callable[[str], None]) -> int:
    """The shard size that keeps the commit (every split's shards and `other_files` more) within
    MAX_FILES_PER_COMMIT: MAX_SHARD_BYTES when it fits, else the smallest larger size that fits."""
    budget = MAX_FILES_PER_COMMIT - other_files
    if budget < len(split_bytes):
        raise ShardingError(f"{len(split_bytes)} splits and {other_files} other files exceed the "
                            f"{MAX_FILES_PER_COMMIT} files one commit holds")
    shard_bytes = MAX_SHARD_BYTES
    while sum(shard_count(size, shard_bytes) for size in split_bytes) > budget:
        # Each split rounds its shard count up by at most one: this size fits, and is close to the smallest.
        shard_bytes = max(shard_bytes + 1, math.ceil(sum(split_bytes) / (budget - len(split_bytes))))
    if shard_bytes > MAX_HUB_FILE_BYTES:
        raise ShardingError(f"the snapshot ({sum(split_bytes)} bytes uncompressed) would need shards of "
                            f"{shard_bytes} bytes to fit one commit of {MAX_FILES_PER_COMMIT} files, beyond the "
                            f"Hub's {MAX_HUB_FILE_BYTES} bytes per file")
    if shard_bytes != MAX_SHARD_BYTES:
        log(f"shards raised from {MAX_SHARD_BYTES} to {shard_bytes} bytes so the snapshot's "
            f"{sum(split_bytes)} bytes fit one commit of at most {MAX_FILES_PER_COMMIT} files")
    return shard_bytes


def shard_count(size: int, shard_bytes: int) -> int:
    return max(1, math.ceil(size / shard_bytes))


def snapshot_shards(splits: dict[str, SplitFile], work_dir: Path, other_files: int,
                    log: Callable[[str], None]) -> dict[str, list[Shard]]:
    """Every split's shards, in split order: the warehouse's file itself when it already has the published shape,
    else files written into `work_dir` (which must outlive the upload)."""
    sizes = {name: uncompressed_bytes(split.parquet_path) for name, split in splits.items()}
    shard_bytes = shard_bytes_for_commit(list(sizes.values()), other_files, log)
    return {name: split_shards(name, split.parquet_path, sizes[name], shard_bytes, work_dir)
            for name, split in splits.items()}


def split_shards(split: str, parquet_path: Path, size: int, shard_bytes: int, work_dir: Path) -> list[Shard]:
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(parquet_path)
    count = min(shard_count(size, shard_bytes), max(1, metadata.num_rows))
    group_sizes = [metadata.row_group(index).total_byte_size for index in range(metadata.num_row_groups)]
    if count == 1 and all(group <= MAX_ROW_GROUP_BYTES for group in group_sizes):
        return [Shard(shard_name(split, 0, 1), parquet_path, metadata.num_rows)]
    rows_per_group = max(1, MAX_ROW_GROUP_BYTES * metadata.num_rows // max(1, size))
    bounds = contiguous_bounds(metadata.num_rows, count)
    work_dir.mkdir(parents=True, exist_ok=True)
    shards = [Shard(shard_name(split, index, count), work_dir / f"{split}-{index:05d}-of-{count:05d}.parquet",
                    end - start) for index, (start, end) in enumerate(bounds)]
    write_shards(parquet_path, shards, rows_per_group)
    return shards


def contiguous_bounds(rows: int, count: int) -> list[tuple[int, int]]:
    """Row ranges of `count` contiguous shards, as `datasets`' `Dataset.shard(contiguous=True)` cuts them: the
    first `rows % count` shards take one row more."""
    size, extra = divmod(rows, count)
    starts = [index * size + min(index, extra) for index in range(count + 1)]
    return list(zip(starts, starts[1:]))


def write_shards(parquet_path: Path, shards: list[Shard], rows_per_group: int) -> None:
    """Stream the file's rows into the shards in order, `rows_per_group` rows per row group (fewer at a shard's
    end): at most one row group is in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(parquet_path)
    batches = source.iter_batches(batch_size=rows_per_group, use_threads=False)
    pending: list[pa.RecordBatch] = []  # rows read but not yet written
    for shard in shards:
        with pq.ParquetWriter(shard.local_path, source.schema_arrow, compression="zstd",
                              compression_level=ZSTD_LEVEL) as writer:
            left = shard.row_count
            while left:
                group = take_rows(batches, pending, min(left, rows_per_group))
                writer.write_table(group, row_group_size=group.num_rows)
                left -= group.num_rows


def take_rows(batches, pending: list, rows: int):
    """The next `rows` rows as one table, from what is pending and then from the batches."""
    import pyarrow as pa

    taken, count = [], 0
    while count < rows:
        batch = pending.pop(0) if pending else next(batches)
        if count + batch.num_rows > rows:
            cut = rows - count
            pending.insert(0, batch.slice(cut))
            batch = batch.slice(0, cut)
        taken.append(batch)
        count += batch.num_rows
    return pa.Table.from_batches(taken)
