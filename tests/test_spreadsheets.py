"""A sheet of an xlsx, ods or xls workbook becomes a Parquet table with one type a column, the names its header row
gives (blank and repeated ones renamed, and said so), or a one-line error naming the file. The xlsx and ods
workbooks are written here from the project's bundled CSVs; the xls ones are real files shipped in statsmodels."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from importlib.resources import files
from pathlib import Path

import duckdb
import msoffcrypto.format.ooxml
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.spreadsheets import DEFAULT_MAX_CELLS, SpreadsheetError, sheet_names, sheet_to_parquet

DATA = Path(__file__).resolve().parent.parent / "catalog" / "data"
PENGUINS = DATA / "palmer-penguins" / "penguins.csv"  # "NA" marks a missing value
CO2 = DATA / "mauna-loa-co2" / "co2-concentration.csv"  # a DATE column
STATSMODELS = files("statsmodels")
MACRODATA_XLS = STATSMODELS / "datasets/macrodata/src/macrodata.xls/macrodata.xls"  # FRED series, 3 sheets
NOWCAST_XLS = STATSMODELS / "tsa/statespace/tests/results/frbny_nowcast/Nowcasting/data/US/2016-06-29.xls"


def csv_table(csv: Path) -> tuple[list[str], list[str], list[tuple]]:
    """Names, DuckDB types and rows of a bundled CSV as DuckDB reads it."""
    with duckdb.connect() as connection:
        relation = connection.sql(f"SELECT * FROM read_csv('{csv}', nullstr = 'NA')")
        return relation.columns, [str(t) for t in relation.types], relation.fetchall()


def parquet_table(path: Path) -> tuple[list[str], list[str], list[tuple]]:
    with duckdb.connect() as connection:
        relation = connection.sql(f"SELECT * FROM read_parquet('{path}')")
        return relation.columns, [str(t) for t in relation.types], relation.fetchall()


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_ods(path: Path, sheets: dict[str, list[list]]) -> Path:
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, rows in sheets.items():
            pd.DataFrame(rows[1:], columns=rows[0], dtype=object).to_excel(writer, sheet_name=name, index=False)
    return path


WRITERS = {"xlsx": write_xlsx, "ods": write_ods}


def csv_rows(csv: Path) -> list[list]:
    names, _, rows = csv_table(csv)
    return [names, *map(list, rows)]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
@pytest.mark.parametrize("csv", [PENGUINS, CO2], ids=["penguins", "co2"])
def test_sheet_round_trips_a_csv_with_its_types(tmp_path, fmt, csv):
    workbook = WRITERS[fmt](tmp_path / f"data.{fmt}", {"Data": csv_rows(csv)})
    table = sheet_to_parquet(workbook, tmp_path / "data.parquet")

    names, types, rows = csv_table(csv)
    assert parquet_table(table.path) == (names, types, rows)
    assert (table.sheet_name, table.row_count, table.columns, table.renamed) == ("Data", len(rows), names, [])
    assert pq.ParquetFile(table.path).metadata.row_group(0).column(0).compression == "ZSTD"
    if csv == PENGUINS:  # whole numbers become integers, a column with one fraction floats, "NA" cells nulls
        assert types[2:6] == ["DOUBLE", "DOUBLE", "BIGINT", "BIGINT"]
        assert rows[3][2:7] == (None, None, None, None, None)


def test_sheet_chosen_by_name_or_index(tmp_path):
    workbook = write_xlsx(tmp_path / "two.xlsx", {"penguins": csv_rows(PENGUINS), "co2": csv_rows(CO2)})
    assert sheet_names(workbook) == ["penguins", "co2"]

    by_name = sheet_to_parquet(workbook, tmp_path / "by_name.parquet", sheet="co2")
    by_index = sheet_to_parquet(workbook, tmp_path / "by_index.parquet", sheet=1)
    first = sheet_to_parquet(workbook, tmp_path / "first.parquet")

    assert by_name.sheet_name == by_index.sheet_name == "co2"
    assert parquet_table(by_name.path) == parquet_table(by_index.path) == csv_table(CO2)
    assert first.sheet_name == "penguins" and first.columns == csv_table(PENGUINS)[0]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_rows_above_the_header_row_are_skipped(tmp_path, fmt):
    rows = [["Mauna Loa CO2, monthly means (ppm)", None, None], *csv_rows(CO2)]
    if fmt == "ods":  # pandas writes the first row as the header: the title is that row
        rows = [["Mauna Loa CO2, monthly means (ppm)", "", " "], *csv_rows(CO2)]
    workbook = WRITERS[fmt](tmp_path / f"titled.{fmt}", {"Data": rows})

    table = sheet_to_parquet(workbook, tmp_path / "data.parquet", header_row=1)

    assert parquet_table(table.path) == csv_table(CO2)
    as_header = sheet_to_parquet(workbook, tmp_path / "title.parquet", header_row=0)
    assert as_header.row_count == table.row_count + 1  # the CSV's header becomes a row of text
    assert pq.read_schema(as_header.path).types == [pa.string()] * 3


def test_blank_and_repeated_headers_are_renamed_and_reported(tmp_path):
    workbook = write_xlsx(tmp_path / "names.xlsx", {"Data": [
        ["a", None, "a", "A", "b ", "column_2", 2024],
        [1, 2, 3, 4, 5, 6, 7],
    ]})
    table = sheet_to_parquet(workbook, tmp_path / "data.parquet")

    assert table.columns == ["a", "column_2", "a_1", "A_2", "b", "column_2_1", "2024"]
    assert table.renamed == [{"from": "", "to": "column_2"}, {"from": "a", "to": "a_1"},
                             {"from": "A", "to": "A_2"}, {"from": "b ", "to": "b"},
                             {"from": "column_2", "to": "column_2_1"}]
    assert pq.read_table(table.path).to_pylist() == [dict(zip(table.columns, range(1, 8)))]
    with duckdb.connect() as connection:  # the names stay as written in DuckDB, which compares them case-blind
        assert connection.sql(f"SELECT * FROM '{table.path}'").columns == table.columns


def test_empty_columns_around_the_table_are_dropped_and_blank_names_count_sheet_columns(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["F1"] = "Garden readings", "source: station log"  # a preamble wider than the table
    sheet["C3"], sheet["E3"] = "station", "reading"  # D3 is blank
    sheet["C4"], sheet["D4"], sheet["E4"] = "north", "checked", 1.5
    sheet["C5"], sheet["E5"] = "south", 2.5
    book.save(tmp_path / "offset.xlsx")

    table = sheet_to_parquet(tmp_path / "offset.xlsx", tmp_path / "data.parquet", header_row=2)

    assert table.columns == ["station", "column_4", "reading"]  # D is the sheet's 4th column; A, B, F dropped
    assert table.renamed == [{"from": "", "to": "column_4"}]
    assert pq.read_table(table.path).to_pylist() == [
        {"station": "north", "column_4": "checked", "reading": 1.5},
        {"station": "south", "column_4": None, "reading": 2.5}]


def test_each_column_gets_one_type_and_mixed_ones_become_text(tmp_path):
    day = dt.date(2024, 3, 1)
    workbook = write_xlsx(tmp_path / "kinds.xlsx", {"Data": [
        ["code", "ratio", "flag", "day", "seen", "at", "empty", "note"],
        [7, 1, True, day, day, dt.time(8, 30), None, "x"],
        ["A7", 2.5, False, None, dt.datetime(2024, 3, 2, 9, 15), dt.time(17, 0), None, None],
        [7.5, 3, None, day, None, None, None, None],
    ]})
    table = sheet_to_parquet(workbook, tmp_path / "data.parquet")

    read = pq.read_table(table.path)
    assert read.schema.types == [pa.string(), pa.float64(), pa.bool_(), pa.date32(), pa.timestamp("us"),
                                 pa.time64("us"), pa.string(), pa.string()]
    assert read.column("code").to_pylist() == ["7", "A7", "7.5"]  # numbers among text, as the sheet shows them
    assert read.column("ratio").to_pylist() == [1.0, 2.5, 3.0]
    assert read.column("seen").to_pylist() == [dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 2, 9, 15), None]
    assert read.column("empty").null_count == 3


def test_real_xls_sheets_are_read(tmp_path):
    assert sheet_names(MACRODATA_XLS) == ["README", "Monthly", "Quarterly"]
    quarterly = sheet_to_parquet(MACRODATA_XLS, tmp_path / "q.parquet", sheet="Quarterly")
    assert quarterly.row_count == 251
    assert quarterly.columns == ["DATE", "DPIC96", "FGCEC96", "GDPC96", "GPDIC96", "PCECC96"]
    read = pq.read_table(quarterly.path)
    assert read.schema.types == [pa.date32()] + [pa.float64()] * 5
    assert read.slice(0, 1).to_pylist()[0]["GDPC96"] == 1772.204
    assert read.column("DATE")[0].as_py() == dt.date(1947, 1, 1)

    monthly = pq.read_table(sheet_to_parquet(MACRODATA_XLS, tmp_path / "m.parquet", sheet=1).path)
    assert monthly.column("CPIAUCSL")[0].as_py() is None and monthly.column("TB3MS")[0].as_py() == 0.72

    nowcast = sheet_to_parquet(NOWCAST_XLS, tmp_path / "n.parquet")
    assert (nowcast.sheet_name, nowcast.row_count, len(nowcast.columns)) == ("data", 378, 30)
    assert pq.read_schema(nowcast.path).field("Date").type == pa.date32()


def test_missing_sheet_and_index_out_of_range_name_the_sheets_present(tmp_path):
    workbook = write_xlsx(tmp_path / "two.xlsx", {"penguins": csv_rows(PENGUINS), "co2": csv_rows(CO2)})
    out = tmp_path / "data.parquet"
    with pytest.raises(SpreadsheetError, match=r"^two\.xlsx has no sheet 'Data'; its sheets: 'penguins', 'co2'$"):
        sheet_to_parquet(workbook, out, sheet="Data")
    with pytest.raises(SpreadsheetError, match=r"^two\.xlsx has no sheet 2: its sheets, counted from 0: 'penguins'"):
        sheet_to_parquet(workbook, out, sheet=2)
    with pytest.raises(SpreadsheetError, match=r"has no sheet -1"):
        sheet_to_parquet(workbook, out, sheet=-1)
    assert not out.exists()


def rewrite_first_sheet(workbook: Path, change) -> None:
    """Rewrite the XML of an xlsx workbook's first sheet with `change` (bytes -> bytes)."""
    with zipfile.ZipFile(workbook) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    part = "xl/worksheets/sheet1.xml"
    parts[part] = change(parts[part])
    with zipfile.ZipFile(workbook, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)


def set_declared_size(workbook: Path, ref: str) -> None:
    """Change the <dimension> an xlsx sheet declares, leaving its cells as they are."""
    rewrite_first_sheet(workbook, lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(),
                                                     xml))


def test_a_sheet_over_the_cell_limit_is_refused(tmp_path):
    assert DEFAULT_MAX_CELLS == 5_000_000
    out = tmp_path / "data.parquet"
    xlsx = write_xlsx(tmp_path / "penguins.xlsx", {"Data": csv_rows(PENGUINS)})  # 345 rows x 8 columns
    message = (r"^sheet 'Data' of penguins\.xlsx {} 2,760 cells \(345 rows x 8 columns\), more than the limit of "
               r"2,000 \(source\.max_cells\)$")
    with pytest.raises(SpreadsheetError, match=message.format("declares")):
        sheet_to_parquet(xlsx, out, max_cells=2000)
    assert sheet_to_parquet(xlsx, out, max_cells=2760).row_count == 344

    ods = write_ods(tmp_path / "penguins.ods", {"Data": csv_rows(PENGUINS)})  # no declared size: counted on loading
    with pytest.raises(SpreadsheetError, match=message.replace("xlsx", "ods").format("has")):
        sheet_to_parquet(ods, tmp_path / "ods.parquet", max_cells=2000)
    assert not (tmp_path / "ods.parquet").exists()

    set_declared_size(xlsx, "A1:Z1000000")  # refused on what the sheet declares, before its cells are read
    with pytest.raises(SpreadsheetError, match=r"declares 26,000,000 cells \(1,000,000 rows x 26 columns\)"):
        sheet_to_parquet(xlsx, out)
    set_declared_size(xlsx, "A1")  # a declared size too small does not let the sheet through
    with pytest.raises(SpreadsheetError, match=r" has 2,760 cells"):
        sheet_to_parquet(xlsx, out, max_cells=2000)


def test_a_renamed_csv_is_not_a_workbook(tmp_path):
    fake = tmp_path / "penguins.xlsx"
    fake.write_bytes(PENGUINS.read_bytes())
    with pytest.raises(SpreadsheetError, match=r"^penguins\.xlsx is not a workbook .*; it looks like plain text "
                                               r"\(a CSV renamed\?\)$"):
        sheet_to_parquet(fake, tmp_path / "data.parquet")
    fake.rename(tmp_path / "penguins.xls")
    with pytest.raises(SpreadsheetError, match=r"^penguins\.xls is not a workbook"):
        sheet_names(tmp_path / "penguins.xls")
    with pytest.raises(SpreadsheetError, match=r"missing\.ods does not exist$"):
        sheet_names(tmp_path / "missing.ods")


def test_an_encrypted_workbook_is_refused_as_encrypted(tmp_path):
    plain = write_xlsx(tmp_path / "plain.xlsx", {"Data": csv_rows(CO2)})
    encrypted = io.BytesIO()
    with plain.open("rb") as source:
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("s3cret", encrypted)
    (tmp_path / "locked.xlsx").write_bytes(encrypted.getvalue())

    with pytest.raises(SpreadsheetError, match=r"^locked\.xlsx is encrypted \(password-protected\)"):
        sheet_to_parquet(tmp_path / "locked.xlsx", tmp_path / "data.parquet")


def test_an_empty_sheet_and_a_header_row_beyond_the_sheet_are_refused(tmp_path):
    workbook = write_xlsx(tmp_path / "book.xlsx", {"Data": csv_rows(CO2)[:4], "Notes": []})
    out = tmp_path / "data.parquet"
    with pytest.raises(SpreadsheetError, match=r"^sheet 'Notes' of book\.xlsx is empty$"):
        sheet_to_parquet(workbook, out, sheet="Notes")
    with pytest.raises(SpreadsheetError, match=r"^sheet 'Data' of book\.xlsx: header_row 4 is beyond the sheet, "
                                               r"whose last row is 3 \(rows count from 0\)$"):
        sheet_to_parquet(workbook, out, header_row=4)
    assert not out.exists()
    assert sheet_to_parquet(workbook, out, header_row=3).row_count == 0  # a header with no rows under it


def test_a_header_row_with_no_names_is_refused(tmp_path):
    workbook = write_xlsx(tmp_path / "titled.xlsx", {"Data": [["Mauna Loa CO2"], [], *csv_rows(CO2)]})
    out = tmp_path / "data.parquet"
    with pytest.raises(SpreadsheetError, match=r"^sheet 'Data' of titled\.xlsx: header_row 1 is empty \(rows count "
                                               r"from 0\)$"):
        sheet_to_parquet(workbook, out, header_row=1)
    shifted = write_xlsx(tmp_path / "shifted.xlsx", {"Data": [[], [], *csv_rows(CO2)]})
    with pytest.raises(SpreadsheetError, match=r"^sheet 'Data' of shifted\.xlsx: header_row 0 is empty; the first "
                                               r"filled row is 2 \(rows count from 0\)$"):
        sheet_to_parquet(shifted, out)
    assert not out.exists()
    assert sheet_to_parquet(workbook, out, header_row=2).columns == csv_table(CO2)[0]
    titled = pq.read_table(sheet_to_parquet(workbook, out, header_row=0).path)  # an empty row inside stays, as nulls
    assert titled.num_rows == len(csv_table(CO2)[2]) + 2 and set(titled.slice(0, 1).to_pylist()[0].values()) == {None}


def test_a_damaged_sheet_is_refused_naming_the_sheet_and_file(tmp_path):
    workbook = write_xlsx(tmp_path / "damaged.xlsx", {"Data": csv_rows(CO2)})
    rewrite_first_sheet(workbook, lambda xml: xml.replace(b"</sheetData>",
                                                          b'<row r="x"><c r="?"><v>1</v></c></row></sheetData>'))

    assert sheet_names(workbook) == ["Data"]
    with pytest.raises(SpreadsheetError, match=r"^sheet 'Data' of damaged\.xlsx cannot be read: \S"):
        sheet_to_parquet(workbook, tmp_path / "data.parquet")
