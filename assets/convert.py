"""Convert raw bytes to one zstd Parquet file with DuckDB, streaming: the data never sits in Python memory.

The source is read once, by the COPY (a CSV's sniffer and a JSON's type detection read a sample before, and a
CSV in an encoding DuckDB cannot decode is transcoded to UTF-8 first, a chunk at a time); the schema and the row
count come from the Parquet footer afterwards. What the conversion changes is recorded: column names DuckDB made
unique, and types the Hub's `datasets` cannot load written as ones it can (assets/hub_types.py). Memory is
bounded whatever the size of the source (see bench/ and the README's Performance section)."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from assets.catalog_entry import CsvOptions
from assets.column_names import column_renames, json_names, parquet_names
from assets.csv_source import (
    CSV_METADATA_KEY,
    TranscodingError,
    csv_reader,
    duckdb_encoding,
    header_line,
    header_names,
    reading_record,
    sniff,
    transcode_to_utf8,
)
from assets.hub_types import loadable_columns
from assets.json_records import not_records_reason, records_reader
from assets.messages import duckdb_reason
from assets.sql import sql_identifier, sql_string

READERS = {
    "jsonl": records_reader("jsonl"),
    "json": records_reader("json"),
    "parquet": "read_parquet(?)",
}  # csv: assets/csv_source.py builds the reader from the entry's csv options
# Measured on 1 GB of JSONL text, 2 cores (README, Performance). DuckDB's default 122,880-row groups of ~1 KB
# rows held ~1.6 GB; 16 MB row groups (uncompressed size) under a 512 MB limit hold ~0.4 GB, at any source size,
# and stay small for wide rows too (164 rows of 100 KB each). zstd level 1 costs about the CPU of DuckDB's
# default snappy for a file half its size; the default level 3 took 65% more CPU for a file 15% smaller.
ROW_GROUP_BYTES = "16MB"
MEMORY_LIMIT = "512MB"
ZSTD_LEVEL = 1
TRANSCODED_CSV = "utf-8.csv"  # in the scratch folder: a CSV DuckDB cannot decode, as UTF-8
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
    # What the conversion changed: [{"from", "to"}] column names DuckDB made unique; [{"column", "from", "to"}]
    # types written as ones the Hub's `datasets` loads (see assets/hub_types.py).
    renamed_columns: list[dict] = field(default_factory=list)
    retyped_columns: list[dict] = field(default_factory=list)


def to_parquet(raw_path: Path, fmt: str, out_path: Path, null_values: tuple[str, ...] = (),
               csv_options: CsvOptions = CsvOptions(), source_name: str | None = None) -> ParquetFile:
    """`null_values`: CSV spellings of a missing value besides the empty field (e.g. R's "NA"). `csv_options`:
    the CSV's layout (catalog `csv:`); a CSV snapshot records them, with what DuckDB's sniffer found, in its
    Parquet key-value metadata under CSV_METADATA_KEY. Temporary files (a transcoded copy, DuckDB's spill)
    live in a scratch folder beside the output, removed after. `source_name`: the source as the steward knows
    it (catalog path or URL), which errors name instead of the raw store's copy."""
    with tempfile.TemporaryDirectory(prefix=".convert-", dir=out_path.parent) as scratch:
        try:
            if fmt == "csv":
                source, encoding = _readable_csv(raw_path, csv_options.encoding, Path(scratch) / TRANSCODED_CSV)
                reader, params, options = _csv_copy(source, encoding, null_values, csv_options)
            else:
                source, encoding = raw_path, None
                reader, params, options = READERS[fmt], [str(raw_path)], PARQUET_OPTIONS
            selection, retyped = _loadable_selection(reader, params) if fmt != "csv" else ("*", {})
            copy = f"COPY (SELECT {selection} FROM {reader}) TO {sql_string(out_path)} ({options})"
            _copy_bounded(copy, params, Path(scratch))
            with duckdb.connect() as connection:  # the footer only: no data page is read again
                columns = connection.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_string(out_path)})").fetchall()
                row_count = connection.execute("SELECT num_rows FROM parquet_file_metadata(?)",
                                               [str(out_path)]).fetchone()[0]
        except duckdb.Error as error:
            shown = source_name or raw_path.name
            reason = duckdb_reason(error, {str(raw_path): shown, str(Path(scratch) / TRANSCODED_CSV): shown})
            if "No space left on device" in reason:
                raise ConversionError(f"could not write the Parquet snapshot: {reason}") from None
            records = not_records_reason(raw_path, fmt, str(error)) if fmt in ("json", "jsonl") else None
            raise ConversionError(f"could not read the source as {fmt}: {records or reason}") from None
        names = [name for name, *_ in columns]
        if fmt == "csv":
            _refuse_misread_csv(source, csv_options, names, out_path)
        try:
            renamed = column_renames(names, lambda: _source_names(source, fmt, csv_options, encoding))
        except duckdb.Error:
            renamed = None
    if renamed is None:
        out_path.unlink()
        raise ConversionError(f"column names collide and DuckDB renamed some ({', '.join(names)}), but they could "
                              "not be matched with the source's names: rename the source's columns")
    types = {name: kind for name, kind, *_ in columns}
    return ParquetFile(out_path, file_sha256(out_path), row_count,
                       [{"name": name, "type": kind} for name, kind, *_ in columns], renamed,
                       [{"column": name, "from": str(kind), "to": types[name]} for name, kind in retyped.items()])


def _source_names(source: Path, fmt: str, csv_options: CsvOptions, encoding: str | None) -> list[str] | None:
    """The column names as the source spells them; None when they do not come from the source."""
    if fmt == "csv":
        return header_names(source, csv_options, encoding)
    return parquet_names(source) if fmt == "parquet" else json_names(source, fmt)


def _loadable_selection(reader: str, params: list) -> tuple[str, dict]:
    """The SELECT list that writes every column in a type the Hub's `datasets` loads, and the columns it changes
    (name -> DuckDB type in the source). Binding the reader reads the Parquet footer, or the JSON sample."""
    with duckdb.connect() as connection:
        described = [(name, kind) for name, kind, *_ in
                     connection.execute(f"SELECT * FROM {reader} LIMIT 0", params).description]
    rewritten = loadable_columns(described)
    if not rewritten:
        return "*", {}
    replaced = ", ".join(f"{expression} AS {sql_identifier(name)}" for name, expression in rewritten.items())
    return f"* REPLACE ({replaced})", {name: kind for name, kind in described if name in rewritten}


def _csv_copy(source: Path, encoding: str, null_values: tuple[str, ...],
              options: CsvOptions) -> tuple[str, list, str]:
    """For a CSV DuckDB reads in `encoding`: the read_csv call, its parameters and the Parquet options, which
    carry the declared options and the sniffer's findings as key-value metadata."""
    reader, reader_params = csv_reader(options, null_values, encoding)
    metadata = reading_record(options, sniff(source, options, encoding))
    parquet_options = f"{PARQUET_OPTIONS}, KV_METADATA {{{sql_string(CSV_METADATA_KEY)}: {sql_string(metadata)}}}"
    return reader, [str(source), *reader_params], parquet_options


def _readable_csv(raw_path: Path, encoding: str, utf8_copy: Path) -> tuple[Path, str]:
    """The file DuckDB reads and DuckDB's name for its encoding: the source itself when DuckDB decodes its
    encoding, else its UTF-8 transcoding written to `utf8_copy`."""
    native = duckdb_encoding(raw_path, encoding)
    if native:
        return raw_path, native
    try:
        transcode_to_utf8(raw_path, encoding, utf8_copy)
    except TranscodingError as error:
        raise ConversionError(f"could not read the source as csv: {error}") from None
    return utf8_copy, "utf-8"


def _refuse_misread_csv(source: Path, options: CsvOptions, names: list[str], out_path: Path) -> None:
    """Declared column names that do not match the file's columns one for one, or a file that collapsed to one
    text column: when DuckDB finds no consistent dialect it falls back to one text column per line, and a
    header holding a delimiter then means ragged rows or an unclosed quote, not a one-column file."""
    problem = None
    if options.columns and len(options.columns) != len(names):
        problem = (f"csv.columns names {len(options.columns)} columns but the file has {len(names)} "
                   f"(read as {', '.join(names)})")
    elif len(names) == 1:
        delimiters = [b",", b";", b"\t", b"|"] + ([options.delimiter.encode()] if options.delimiter else [])
        if any(delimiter in header_line(source, options.skip_lines or 0) for delimiter in delimiters):
            problem = ("no consistent CSV dialect (rows with different numbers of fields, or a quote that is "
                       "never closed)")
    if problem:
        out_path.unlink()
        raise ConversionError(f"could not read the source as csv: {problem}")


def _copy_bounded(copy: str, params: list, scratch: Path) -> None:
    """Run the COPY under MEMORY_LIMIT, spilling to the scratch folder. A source whose rows cannot fit (rows of
    many megabytes) is converted under DuckDB's default limit instead of failing: a snapshot matters more than
    the bound."""
    try:
        _copy(copy, params, str(scratch), MEMORY_LIMIT)
    except duckdb.OutOfMemoryException:
        _copy(copy, params, str(scratch), None)


def _copy(copy: str, params: list, scratch: str, memory_limit: str | None) -> None:
    with duckdb.connect(config={"temp_directory": scratch}) as connection:
        if memory_limit:
            connection.execute(f"SET memory_limit = '{memory_limit}'")
        connection.execute(copy, params)


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
