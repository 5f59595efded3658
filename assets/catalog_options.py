"""An entry's `csv:` and `sheet:` mappings, checked: how a CSV source is laid out (header, lines to skip, column
names, delimiter, encoding) and which sheet of a spreadsheet source is the data."""

from __future__ import annotations

import codecs
from dataclasses import fields

from assets.catalog_entry import CatalogError, CsvOptions, SheetOptions
from assets.spreadsheets import DEFAULT_MAX_CELLS

CSV_FIELDS = {f.name for f in fields(CsvOptions)}
SHEET_FIELDS = {f.name for f in fields(SheetOptions)}


def csv_options(raw: object, where: str) -> CsvOptions:
    """The entry's `csv:` mapping, checked; CatalogError names the field at fault."""
    if raw is None:
        return CsvOptions()
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: csv must be a mapping, e.g. {{header: false, columns: [a, b]}}")
    unknown = set(raw) - CSV_FIELDS
    if unknown:
        raise CatalogError(f"{where}: unknown csv field(s) {sorted(map(str, unknown))}; known: {sorted(CSV_FIELDS)}")
    header = raw.get("header", True)
    if not isinstance(header, bool):
        raise CatalogError(f"{where}: csv.header must be true or false, got {header!r}")
    skip_lines = raw.get("skip_lines")
    if skip_lines is not None and (isinstance(skip_lines, bool) or not isinstance(skip_lines, int) or skip_lines < 0):
        raise CatalogError(f"{where}: csv.skip_lines must be a whole number >= 0, got {skip_lines!r}")
    columns = raw.get("columns") or []
    if not isinstance(columns, list) or not all(isinstance(c, str) and c.strip() for c in columns):
        raise CatalogError(f"{where}: csv.columns must be a list of column names")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise CatalogError(f"{where}: csv.columns names {repeated} more than once")
    if not header and not columns:
        raise CatalogError(f"{where}: csv.columns is required when csv.header is false (name every column)")
    delimiter = raw.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'):
        raise CatalogError(f"{where}: csv.delimiter must be one character other than a quote or a line break, "
                           f"got {delimiter!r}")
    return CsvOptions(header=header, skip_lines=skip_lines, columns=tuple(columns), delimiter=delimiter,
                      encoding=_codec_name(raw.get("encoding", "utf-8"), where))


def sheet_options(raw: object, where: str) -> SheetOptions:
    """The entry's `sheet:` mapping, checked."""
    if raw is None:
        return SheetOptions()
    if not isinstance(raw, dict) or not set(raw) <= SHEET_FIELDS:
        raise CatalogError(f"{where}: sheet must be a mapping with {sorted(SHEET_FIELDS)}, e.g. "
                           "{name: Data, header_row: 1}")
    name = raw.get("name")
    if name is not None and (isinstance(name, bool) or not isinstance(name, (str, int))
                             or (isinstance(name, int) and name < 0)):
        raise CatalogError(f"{where}: sheet.name must be a sheet's name or its 0-based index, got {name!r}")
    for number in ("header_row", "max_cells"):
        value = raw.get(number, getattr(SheetOptions(), number))
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if number == "header_row" else 1):
            raise CatalogError(f"{where}: sheet.{number} must be a whole number, got {value!r}")
    return SheetOptions(name=name, header_row=raw.get("header_row", 0),
                        max_cells=raw.get("max_cells", DEFAULT_MAX_CELLS))


def _codec_name(encoding: object, where: str) -> str:
    """The canonical name of a text encoding Python can decode, so spellings of one encoding give one recipe."""
    try:
        info = codecs.lookup(str(encoding))
        decodes_text = isinstance(info.incrementaldecoder().decode(b"", final=True), str)
    except (LookupError, TypeError):
        decodes_text = False
    if not decodes_text:  # unknown, or a bytes-to-bytes / text-to-text codec such as base64 or rot13
        raise CatalogError(f"{where}: csv.encoding {encoding!r} is not a known text encoding "
                           "(e.g. utf-8, utf-16, latin-1, cp1252, shift_jis)")
    return info.name
