"""One sheet of a spreadsheet workbook (xlsx, xls, ods) as a Parquet table, read with calamine.

The sheet's row `header_row` (0-based, as the sheet counts rows: row 1 in the spreadsheet is 0) holds the column
names; rows above it (titles, notes) are skipped. Each column gets one type from its cells: integers (every number
whole), floats, booleans, dates, date-times, times, durations or text; a column mixing kinds (numbers and text, say)
becomes text. An empty cell is null, and so is a cell holding an error such as #DIV/0! (calamine gives it no value).
A blank column name becomes `column_<n>` (n: the sheet's 1-based column position) and a repeated one gets a suffix
(`a`, `a_1`; compared case-insensitively, as DuckDB compares names): `SheetTable.renamed` lists each change, for
provenance. Empty rows after the data, and empty columns before or after it, are dropped; empty rows and columns
inside the data are kept, as nulls.

Calamine holds a whole sheet in memory, so a sheet larger than `max_cells` is refused: for xlsx before its cells
are read (from the size the sheet declares), for every format before they become Python values."""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import python_calamine as calamine

if TYPE_CHECKING:  # pyarrow is imported where a sheet is converted: loading the catalog should not pay for it
    import pyarrow as pa

# Measured on a sheet of 500,000 rows x 10 columns of numbers and short text (5 M cells): 12 s and a peak near
# 0.5 GB (calamine's cells, their Python values, the Arrow columns), about 100 bytes a cell. An xlsx sheet may hold
# 17 billion cells, so some cap is needed; a larger sheet is read by raising it.
DEFAULT_MAX_CELLS = 5_000_000
DECLARED_SIZE_BYTES = 65536  # an xlsx sheet states its size near the top of its XML: read no further
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")


class SpreadsheetError(ValueError):
    """A workbook or sheet that cannot become a table; the message is one line naming the file."""


@dataclass(frozen=True)
class SheetTable:
    """The Parquet table written from one sheet."""

    sheet_name: str
    row_count: int
    columns: list[str]
    path: Path
    renamed: list[dict[str, str]] = field(default_factory=list)  # [{"from": header cell, "to": column name}]


def sheet_names(workbook: Path) -> list[str]:
    """The workbook's sheet names, in workbook order."""
    with _open(workbook) as book:
        return list(book.sheet_names)


def sheet_to_parquet(workbook: Path, out_path: Path, sheet: str | int | None = None, header_row: int = 0,
                     max_cells: int = DEFAULT_MAX_CELLS) -> SheetTable:
    """Write one sheet (a name, a 0-based index, or None for the first) as a zstd Parquet file at `out_path`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    workbook = Path(workbook)
    with _open(workbook) as book:
        name = _sheet_name(book, sheet, workbook)
        where = f"sheet '{name}' of {workbook.name}"
        declared = _declared_size(workbook, name)
        if declared:
            _check_cells(*declared, max_cells, where, verb="declares")
        rows, left = _rows_from_header(book, name, where, header_row, max_cells)
    header, body, first_column = _trimmed(rows[0], rows[1:], left)
    del rows  # from here on the cells live in one place at a time: columns, then Arrow arrays
    if not any(_filled(value) for value in header):
        raise SpreadsheetError(f"{where}: header_row {header_row} is empty (rows count from 0)")
    columns, renamed = _column_names(header, first_column)
    by_column = list(zip(*body)) if body else [()] * len(columns)
    del body
    table = pa.table({column: _array(by_column.pop(0)) for column in columns})
    out_path = Path(out_path)
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        pq.write_table(table, partial, compression="zstd")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out_path)  # a reader never meets half a file
    return SheetTable(sheet_name=name, row_count=table.num_rows, columns=columns, path=out_path, renamed=renamed)


def _rows_from_header(book: calamine.CalamineWorkbook, name: str, where: str, header_row: int,
                      max_cells: int) -> tuple[list[list], int]:
    """The sheet's rows from the header row down, and the 0-based sheet column of their first cell."""
    try:
        cells = book.get_sheet_by_name(name)
        if cells.start is None:
            raise SpreadsheetError(f"{where} is empty")
        (top, left), (bottom, right) = cells.start, cells.end
        _check_cells(bottom - top + 1, right - left + 1, max_cells, where, verb="has")
        if header_row < 0:
            raise SpreadsheetError(f"{where}: header_row {header_row} is negative (rows count from 0)")
        if header_row > bottom:
            raise SpreadsheetError(f"{where}: header_row {header_row} is beyond the sheet, whose last row is "
                                   f"{bottom} (rows count from 0)")
        if header_row < top:
            raise SpreadsheetError(f"{where}: header_row {header_row} is empty; the first filled row is {top} "
                                   "(rows count from 0)")
        return cells.to_python(skip_empty_area=True)[header_row - top:], left
    except calamine.CalamineError as error:
        raise SpreadsheetError(f"{where} cannot be read: {_one_line(error)}") from error


def _open(workbook: Path) -> calamine.CalamineWorkbook:
    workbook = Path(workbook)
    if not workbook.is_file():
        raise SpreadsheetError(f"{workbook} does not exist")
    try:
        return calamine.CalamineWorkbook.from_path(workbook)
    except calamine.PasswordError as error:
        raise SpreadsheetError(f"{workbook.name} is encrypted (password-protected): save it without a password "
                               "to read it") from error
    except (calamine.CalamineError, OSError) as error:
        looks = "; it looks like plain text (a CSV renamed?)" if _plain_text(workbook) else ""
        raise SpreadsheetError(f"{workbook.name} is not a workbook calamine can read (xlsx, xls, ods): "
                               f"{_one_line(error)}{looks}") from error


def _sheet_name(book: calamine.CalamineWorkbook, sheet: str | int | None, workbook: Path) -> str:
    names = book.sheet_names
    present = ", ".join(f"'{name}'" for name in names)
    if sheet is None:
        sheet = 0
    if isinstance(sheet, str):
        if sheet not in names:
            raise SpreadsheetError(f"{workbook.name} has no sheet '{sheet}'; its sheets: {present}")
        return sheet
    if isinstance(sheet, bool) or not isinstance(sheet, int):
        raise SpreadsheetError(f"{workbook.name}: a sheet is a name or a 0-based index, not {sheet!r}")
    if not 0 <= sheet < len(names):
        raise SpreadsheetError(f"{workbook.name} has no sheet {sheet}: its sheets, counted from 0: {present}")
    return names[sheet]


def _check_cells(rows: int, columns: int, max_cells: int, where: str, verb: str) -> None:
    if rows * columns > max_cells:
        raise SpreadsheetError(f"{where} {verb} {rows * columns:,} cells ({rows:,} rows x {columns:,} columns), "
                               f"more than the limit of {max_cells:,} (source.max_cells)")


XLSX_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XLSX_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?"')


def _declared_size(workbook: Path, name: str) -> tuple[int, int] | None:
    """(rows, columns) an xlsx sheet's <dimension> states, read without reading its cells; None when not stated.
    A package this cannot follow is left to calamine, which reports what is wrong with it."""
    if not zipfile.is_zipfile(workbook):
        return None
    try:
        with zipfile.ZipFile(workbook) as package:
            sheets = ElementTree.fromstring(package.read("xl/workbook.xml")).iter(f"{XLSX_MAIN}sheet")
            rel_id = next(s.get(XLSX_REL_ID) for s in sheets if s.get("name") == name)
            rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
            target = next(r.get("Target") for r in rels if r.get("Id") == rel_id)
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            with package.open(part) as xml:
                found = DIMENSION.search(xml.read(DECLARED_SIZE_BYTES))
    except (KeyError, StopIteration, ElementTree.ParseError, zipfile.BadZipFile, zlib.error, OSError, RuntimeError,
            NotImplementedError):
        return None
    if not found:
        return None
    first_column, first_row, last_column, last_row = found.groups()
    if last_column is None:
        return 1, 1
    return int(last_row) - int(first_row) + 1, _column_number(last_column) - _column_number(first_column) + 1


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _trimmed(header: list, body: list[list], left: int) -> tuple[list, list[list], int]:
    """Header and rows without the empty rows after the data and the empty columns before and after it; and the
    0-based sheet position of the first column kept."""
    while body and not any(_filled(value) for value in body[-1]):
        body.pop()
    filled = [_filled(header[j]) or any(_filled(row[j]) for row in body) for j in range(len(header))]
    if not any(filled):
        return header, body, left
    start, stop = filled.index(True), len(filled) - filled[::-1].index(True)
    return header[start:stop], [row[start:stop] for row in body], left + start


def _column_names(header: list, first_column: int) -> tuple[list[str], list[dict[str, str]]]:
    names, renamed, taken = [], [], set()
    for position, cell in enumerate(header, start=first_column + 1):
        original = _text(cell) if _filled(cell) else ""
        name = original.strip() or f"column_{position}"
        base, suffix = name, 0
        while name.lower() in taken:  # also when an earlier rename took this header's name (`a`, `a`, `a_1`)
            suffix += 1
            name = f"{base}_{suffix}"
        taken.add(name.lower())
        names.append(name)
        if name != original:
            renamed.append({"from": original, "to": name})
    return names, renamed


# The Python types calamine gives cell values, by the column kind they make.
KINDS = {bool: "bool", int: "number", float: "number", str: "text", dt.datetime: "datetime", dt.date: "date",
         dt.time: "time", dt.timedelta: "duration"}


def _array(cells: tuple) -> pa.Array:
    """One column's cells as an Arrow array of the one type they share; text when they share none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = [value if _filled(value) else None for value in cells]
    kinds = {KINDS.get(kind, "text") for kind in set(map(type, values)) - {type(None)}}
    if kinds == {"date", "datetime"}:  # a date among date-times is that day's midnight
        values = [dt.datetime.combine(v, dt.time()) if type(v) is dt.date else v for v in values]
        kinds = {"datetime"}
    kind = kinds.pop() if len(kinds) == 1 else "text"
    if kind == "number":
        numbers = pa.array(values, pa.float64())
        whole = pc.all(pc.equal(pc.floor(numbers), numbers)).as_py()
        if whole and pc.max(pc.abs(numbers)).as_py() < 2**63:  # every number whole and within int64
            return pc.cast(numbers, pa.int64())
        return numbers
    if kind == "text":
        values = [None if value is None else _text(value) for value in values]
    arrow_types = {"bool": pa.bool_(), "date": pa.date32(), "datetime": pa.timestamp("us"), "time": pa.time64("us"),
                   "duration": pa.duration("us"), "text": pa.string()}
    return pa.array(values, arrow_types[kind])


def _text(value) -> str:
    """A cell as text, as the spreadsheet shows it: whole numbers without `.0`, booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _filled(value) -> bool:
    return value != ""  # calamine gives an empty cell as ""


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _plain_text(path: Path) -> bool:
    with path.open("rb") as file:
        head = file.read(4096)
    return bool(head) and not CONTROL_BYTES.search(head)  # a zip or OLE workbook has them in its first bytes
