"""Convert raw bytes to one zstd Parquet file with DuckDB, streaming: the data never sits in Python memory."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

READERS = {
    "csv": "read_csv(?, header = true, auto_detect = true)",
    "jsonl": "read_json(?, format = 'newline_delimited')",
    "json": "read_json(?, format = 'auto')",
    "parquet": "read_parquet(?)",
}


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
    with duckdb.connect() as connection:
        try:
            relation = f"SELECT * FROM {reader}"
            columns = connection.execute(f"DESCRIBE {relation}", params).fetchall()
            connection.execute(f"COPY ({relation}) TO '{_quote(out_path)}' (FORMAT parquet, COMPRESSION zstd)", params)
            row_count = connection.execute("SELECT count(*) FROM read_parquet(?)", [str(out_path)]).fetchone()[0]
        except duckdb.Error as error:
            first_line = str(error).strip().splitlines()[0]
            raise ConversionError(f"could not read the source as {fmt}: {first_line}") from None
    return ParquetFile(out_path, file_sha256(out_path), row_count,
                       [{"name": name, "type": kind} for name, kind, *_ in columns])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
