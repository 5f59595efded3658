"""Convert raw bytes to one zstd Parquet file with DuckDB, streaming: the data never sits in Python memory.

The source is read once, by the COPY; the schema and the row count come from the Parquet footer afterwards.
Memory is bounded whatever the size of the source (see bench/ and the README's Performance section)."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.sql import sql_string

READERS = {
    # RFC 4180 quoting, strictly: an unclosed quote or ragged rows must not be read as one text column.
    "csv": "read_csv(?, header = true, auto_detect = true, quote = '\"', strict_mode = true)",
    "jsonl": "read_json(?, format = 'newline_delimited')",
    "json": "read_json(?, format = 'auto')",
    "parquet": "read_parquet(?)",
}
# Measured on 1 GB of JSONL text, 2 cores (README, Performance). DuckDB's default 122,880-row groups of ~1 KB
# rows held ~1.6 GB; 16 MB row groups (uncompressed size) under a 512 MB limit hold ~0.4 GB, at any source size,
# and stay small for wide rows too (164 rows of 100 KB each). zstd level 1 costs about the CPU of DuckDB's
# default snappy for a file half its size; the default level 3 took 65% more CPU for a file 15% smaller.
ROW_GROUP_BYTES = "16MB"
MEMORY_LIMIT = "512MB"
ZSTD_LEVEL = 1
PARQUET_OPTIONS = (f"FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {ZSTD_LEVEL}, "
                   f"ROW_GROUP_SIZE_BYTES '{ROW_GROUP_BYTES}'")


class ConversionError(ValueError):
    """The raw file could not be read as its declared format."""


@dataclass(frozen=True)
class ParquetFile:
    path: Path
    sha256: str
    row_count: int
    columns: list[dict]  # [{"name", "type"}]


def to_parquet(raw_path: Path, fmt: str, out_path: Path, null_values: tuple[str, ...] = ()) -> ParquetFile:
    """`null_values`: CSV spellings of a missing value besides the empty field (e.g. R's "NA")."""
    reader, params = READERS[fmt], [str(raw_path)]
    if fmt == "csv" and null_values:
        reader, params = reader.replace(")", ", nullstr = ?)"), [str(raw_path), ["", *null_values]]
    copy = f"COPY (SELECT * FROM {reader}) TO {sql_string(out_path)} ({PARQUET_OPTIONS})"
    try:
        _copy_bounded(copy, params, spill_dir=out_path.parent)
        with duckdb.connect() as connection:  # the footer only: no data page is read again
            columns = connection.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_string(out_path)})").fetchall()
            row_count = connection.execute("SELECT num_rows FROM parquet_file_metadata(?)",
                                           [str(out_path)]).fetchone()[0]
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        if "No space left on device" in first_line:
            raise ConversionError(f"could not write the Parquet snapshot: {first_line}") from None
        raise ConversionError(f"could not read the source as {fmt}: {first_line}") from None
    if fmt == "csv" and len(columns) == 1:
        _refuse_collapsed_csv(raw_path, out_path)
    return ParquetFile(out_path, file_sha256(out_path), row_count,
                       [{"name": name, "type": kind} for name, kind, *_ in columns])


def _refuse_collapsed_csv(raw_path: Path, out_path: Path) -> None:
    """When DuckDB finds no consistent dialect it falls back to one text column per line. A header that
    holds a delimiter then means ragged rows or an unclosed quote, not a one-column file."""
    with raw_path.open("rb") as stream:
        header = stream.readline(1 << 16)
    if any(delimiter in header for delimiter in (b",", b";", b"\t", b"|")):
        out_path.unlink()
        raise ConversionError("could not read the source as csv: no consistent CSV dialect (rows with different "
                              "numbers of fields, or a quote that is never closed)")


def _copy_bounded(copy: str, params: list, spill_dir: Path) -> None:
    """Run the COPY under MEMORY_LIMIT, spilling to a scratch folder beside the output (removed after). A
    source whose rows cannot fit (rows of many megabytes) is converted under DuckDB's default limit instead
    of failing: a snapshot matters more than the bound."""
    with tempfile.TemporaryDirectory(prefix=".duckdb-spill-", dir=spill_dir) as scratch:
        try:
            _copy(copy, params, scratch, MEMORY_LIMIT)
        except duckdb.OutOfMemoryException:
            _copy(copy, params, scratch, None)


def _copy(copy: str, params: list, scratch: str, memory_limit: str | None) -> None:
    with duckdb.connect(config={"temp_directory": scratch}) as connection:
        if memory_limit:
            connection.execute(f"SET memory_limit = '{memory_limit}'")
        connection.execute(copy, params)


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
