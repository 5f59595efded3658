"""Reading a CSV source as its catalog entry declares (`csv:` options): the encoding, the lines before the
header, the header or the column names, the delimiter; and what DuckDB's sniffer makes of the same file, which
the conversion records in the snapshot for the `csv_header` governance check.

DuckDB 2.0's CSV reader decodes UTF-8, Latin-1 and little-endian UTF-16 itself. Any other encoding is
transcoded to a temporary UTF-8 file first, a chunk at a time, so memory stays bounded whatever the size."""

from __future__ import annotations

import codecs
import json
from dataclasses import asdict
from pathlib import Path

import duckdb

from assets.catalog_entry import CsvOptions

CSV_METADATA_KEY = "open_data_governance:csv"  # Parquet key-value metadata: how the CSV was read
# Encodings (canonical Python codec names) DuckDB reads, with DuckDB's name for each.
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "iso8859-1": "latin-1"}
UTF16_LE_BOM = codecs.BOM_UTF16_LE
TRANSCODE_CHUNK = 1 << 20  # bytes decoded at a time
# RFC 4180 quoting, strictly: an unclosed quote or ragged rows must not be read as one text column.
STRICT = "quote = '\"', strict_mode = true"


class TranscodingError(ValueError):
    """The source is not valid in its declared encoding."""


def duckdb_encoding(raw_path: Path, encoding: str) -> str | None:
    """DuckDB's name for the encoding when its reader can decode this file, else None (transcode it first).
    DuckDB's UTF-16 is little-endian: a big-endian file, or one without a byte-order mark, goes through Python."""
    if encoding in DUCKDB_ENCODINGS:
        return DUCKDB_ENCODINGS[encoding]
    if encoding == "utf-16":
        with raw_path.open("rb") as stream:
            if stream.read(2) == UTF16_LE_BOM:
                return "utf-16"
    return None


def transcode_to_utf8(raw_path: Path, encoding: str, target: Path) -> None:
    """Write the source as UTF-8, decoding TRANSCODE_CHUNK bytes at a time (a byte-order mark is dropped).
    TranscodingError names the first byte offset that is not valid in the encoding."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0  # of the chunk in the source
    with raw_path.open("rb") as source, target.open("wb") as sink:
        while True:
            chunk = source.read(TRANSCODE_CHUNK)
            pending = len(decoder.getstate()[0])  # bytes of a character split across chunks, decoded first
            try:
                sink.write(decoder.decode(chunk, final=not chunk).encode("utf-8"))
            except UnicodeDecodeError as error:
                raise TranscodingError(f"the source is not valid {encoding}: {error.reason} at byte "
                                       f"{offset - pending + error.start}") from None
            if not chunk:
                return
            offset += len(chunk)


def csv_reader(options: CsvOptions, null_values: tuple[str, ...], encoding: str) -> tuple[str, list]:
    """The read_csv call (its first parameter is the file) and its parameters after the file."""
    named, params = ["header = ?", "encoding = ?"], [options.header, encoding]
    if options.skip_lines is not None:  # undeclared: DuckDB's sniffer may skip lines it finds do not fit
        named.append("skip = ?")
        params.append(options.skip_lines)
    if options.delimiter is not None:
        named.append("delim = ?")
        params.append(options.delimiter)
    if options.columns:
        named.append("names = ?")
        params.append(list(options.columns))
    if null_values:
        named.append("nullstr = ?")
        params.append(["", *null_values])
    return f"read_csv(?, {', '.join(named)}, auto_detect = true, {STRICT})", params


def sniff(path: Path, options: CsvOptions, encoding: str) -> dict:
    """What DuckDB's sniffer finds with the declared skip, delimiter and encoding but without the declared
    header: whether the first line is a header, the lines it skips, the delimiter and the column types."""
    named, params = _sniff_arguments(options, encoding)
    with duckdb.connect() as connection:
        delimiter, skip_rows, has_header, types = connection.execute(
            f"SELECT Delimiter, SkipRows, HasHeader, [c.type FOR c IN Columns]"
            f" FROM sniff_csv(?, {named}, {STRICT})", [str(path), *params]).fetchone()
    return {"header": has_header, "skip_lines": skip_rows, "delimiter": delimiter, "types": types}


def _sniff_arguments(options: CsvOptions, encoding: str) -> tuple[str, list]:
    """sniff_csv's named arguments for the declared encoding, skip and delimiter, and their parameters."""
    named, params = ["encoding = ?"], [encoding]
    if options.skip_lines is not None:
        named.append("skip = ?")
        params.append(options.skip_lines)
    if options.delimiter is not None:
        named.append("delim = ?")
        params.append(options.delimiter)
    return ", ".join(named), params


def reading_record(options: CsvOptions, sniffed: dict) -> str:
    """The declared options and the sniffer's findings, as the JSON kept in the snapshot's Parquet metadata."""
    return json.dumps({"declared": asdict(options), "sniffed": sniffed}, ensure_ascii=False, sort_keys=True)


def header_line(path: Path, skip_lines: int) -> bytes:
    """The first line after `skip_lines` lines (at most 64 KiB of it)."""
    with path.open("rb") as stream:
        for _ in range(skip_lines):
            stream.readline(1 << 16)
        return stream.readline(1 << 16)


def header_names(path: Path, options: CsvOptions, encoding: str) -> list[str] | None:
    """The column names as the file's header line spells them (before DuckDB makes them unique), read with the
    dialect DuckDB detects; the declared names when the catalog gives them; None when the file has no header."""
    if options.columns:
        return list(options.columns)
    if not options.header:
        return None
    named, params = _sniff_arguments(options, encoding)
    with duckdb.connect() as connection:
        delimiter, skip_rows = connection.execute(
            f"SELECT Delimiter, SkipRows FROM sniff_csv(?, header = true, {named}, {STRICT})",
            [str(path), *params]).fetchone()
        header = connection.execute(
            f"SELECT * FROM read_csv(?, header = false, skip = ?, delim = ?, encoding = ?, all_varchar = true, "
            f"{STRICT}) LIMIT 1", [str(path), skip_rows, delimiter, encoding]).fetchone()
    return ["" if name is None else name for name in header]
