"""Convert a source of several files into one zstd Parquet file per split.

Each input is converted on its own (streaming, as one file is: assets/convert.py; a spreadsheet's sheet with
assets/spreadsheets.py), so errors name the file; the files of one split must have the same columns, by name
and in order (a type that differs is widened, as DuckDB unions by name: BIGINT and DOUBLE give DOUBLE). Then
the parts are joined into the split's file by one streaming COPY. Memory stays that of one file's conversion."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from assets.catalog import CatalogEntry
from assets.convert import PARQUET_OPTIONS, ConversionError, ParquetFile, _copy_bounded, file_sha256, to_parquet
from assets.fetch_many import input_name
from assets.source_forms import SPREADSHEET_FORMATS
from assets.spreadsheets import SpreadsheetError, sheet_to_parquet
from assets.sql import sql_string


def convert_one(entry: CatalogEntry, raw_path: Path, fmt: str, out_path: Path, shown: str) -> ParquetFile:
    """One file, in its format, to Parquet; errors name it as `shown`."""
    if fmt not in SPREADSHEET_FORMATS:
        return to_parquet(raw_path, fmt, out_path, entry.null_values, entry.csv, source_name=shown)
    try:
        table = sheet_to_parquet(raw_path, out_path, sheet=entry.sheet.name, header_row=entry.sheet.header_row,
                                 max_cells=entry.sheet.max_cells)
    except SpreadsheetError as error:
        raise ConversionError(str(error).replace(raw_path.name, input_name(shown))) from None  # names the file
    columns, row_count = described(out_path)
    return ParquetFile(out_path, file_sha256(out_path), row_count, columns, list(table.renamed), [])


def described(path: Path) -> tuple[list[dict], int]:
    """A Parquet file's columns and row count, from its footer."""
    with duckdb.connect() as connection:
        columns = connection.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_string(path)})").fetchall()
        rows = connection.execute("SELECT sum(num_rows) FROM parquet_file_metadata(?)", [str(path)]).fetchone()[0]
    return [{"name": name, "type": kind} for name, kind, *_ in columns], int(rows or 0)


def convert_splits(entry: CatalogEntry, inputs: list[dict], out_dir: Path) -> dict[str, ParquetFile]:
    """Split name -> its Parquet file (`<split>.parquet` in out_dir), in the order the inputs list the splits."""
    splits: dict[str, list[dict]] = {}
    for item in inputs:
        splits.setdefault(item["split"], []).append(item)
    return {split: _convert_split(entry, split, items, out_dir) for split, items in splits.items()}


def _convert_split(entry: CatalogEntry, split: str, items: list[dict], out_dir: Path) -> ParquetFile:
    final = out_dir / f"{split}.parquet"
    if len(items) == 1:
        return _labelled(_converted(entry, items[0], final), items[0]["name"])
    with tempfile.TemporaryDirectory(prefix=f".{split}-parts-", dir=out_dir) as scratch:
        parts = [_converted(entry, item, Path(scratch) / f"{index:05d}.parquet") for index, item in enumerate(items)]
        _refuse_different_columns(split, items, parts)
        paths = ", ".join(sql_string(part.path) for part in parts)
        copy = f"COPY (SELECT * FROM read_parquet([{paths}], union_by_name = true)) TO {sql_string(final)} " \
               f"({PARQUET_OPTIONS})"
        try:
            _copy_bounded(copy, [], Path(scratch))
        except duckdb.Error as error:
            raise ConversionError(f"split {split}: its files' columns cannot be joined: {error}") from None
    columns, row_count = described(final)
    renamed = [{**change, "file": item["name"]} for item, part in zip(items, parts) for change in part.renamed_columns]
    retyped = [{**change, "file": item["name"]} for item, part in zip(items, parts)
               for change in part.retyped_columns]
    return ParquetFile(final, file_sha256(final), row_count, columns, renamed, retyped)


def _converted(entry: CatalogEntry, item: dict, out_path: Path) -> ParquetFile:
    """One input of a split; its errors name the file (the split's other files converted fine)."""
    try:
        return convert_one(entry, Path(item["path"]), item["format"], out_path, item["name"])
    except ConversionError as error:
        message = str(error)
        raise ConversionError(message if message.startswith(item["name"]) else f"{item['name']}: {message}") \
            from None


def _labelled(part: ParquetFile, name: str) -> ParquetFile:
    return ParquetFile(part.path, part.sha256, part.row_count, part.columns,
                       [{**change, "file": name} for change in part.renamed_columns],
                       [{**change, "file": name} for change in part.retyped_columns])


def _refuse_different_columns(split: str, items: list[dict], parts: list[ParquetFile]) -> None:
    """The files of one split hold one table: the same column names, in the same order."""
    expected = [column["name"] for column in parts[0].columns]
    for item, part in zip(items[1:], parts[1:]):
        names = [column["name"] for column in part.columns]
        if names == expected:
            continue
        missing = [name for name in expected if name not in names]
        extra = [name for name in names if name not in expected]
        if missing or extra:
            what = f"lacks column {missing[0]!r}" if missing else f"has column {extra[0]!r}"
            detail = f"{what}, which {items[0]['name']} {'has' if missing else 'lacks'}"
        else:
            position = next(index for index, (a, b) in enumerate(zip(names, expected)) if a != b)
            detail = f"has column {names[position]!r} where {items[0]['name']} has {expected[position]!r}"
        raise ConversionError(f"split {split}: {item['name']} {detail}: the files of a split must have the "
                              "same columns")
