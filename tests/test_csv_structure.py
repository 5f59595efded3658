"""A CSV is read as its catalog entry's `csv:` options declare (lines to skip, header or column names,
delimiter, encoding); a header that is really data fails the csv_header check; options enter the snapshot id."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from assets import csv_source
from assets.catalog import load_catalog
from assets.catalog_entry import CsvOptions
from assets.convert import ConversionError, to_parquet
from assets.identity import snapshot_id_for_decision
from checks.governance import DatasetRecord, csv_header, open_snapshot, run_governance
from checks.governance_config import CheckSettings, GovernanceConfig

ERROR = CheckSettings("ERROR")
# Real-world text with the characters cp1252 puts in 0x80-0x9F, where Latin-1 has control codes.
SMART_TEXT = "Crème brûlée – “le café” coûte 4 € ‘à emporter’"


def catalog_entry(tmp_path: Path, data: bytes, **fields):
    """The entry as the loader makes it from a catalog naming a file with `data`."""
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "rows.csv").write_bytes(data)
    entry = {"id": "rows", "title": "Rows", "format": "csv", "source": {"kind": "file", "path": "data/rows.csv"},
             **fields}
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [entry]}, allow_unicode=True))
    catalog = load_catalog(tmp_path / "catalog.yaml")
    assert not catalog.problems, catalog.problems
    return catalog.get("rows")


def convert(tmp_path: Path, data: bytes, **fields) -> tuple[list[str], list[tuple]]:
    """The column names and rows of the snapshot converted from `data` under the entry's options."""
    entry = catalog_entry(tmp_path, data, **fields)
    (tmp_path / "out").mkdir()
    parquet = to_parquet(Path(entry.source.path), "csv", tmp_path / "out" / "data.parquet", entry.null_values,
                         entry.csv)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["data.parquet"]  # no transcoded copy left behind
    with duckdb.connect() as connection:
        rows = connection.execute("SELECT * FROM read_parquet(?)", [str(parquet.path)]).fetchall()
    assert parquet.row_count == len(rows)
    return [c["name"] for c in parquet.columns], rows


def header_outcome(parquet_path: Path):
    with open_snapshot(parquet_path) as table:
        return csv_header(table, ERROR)


# --- the catalog -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("csv, message", [
    ({"header": "no"}, "csv.header must be true or false, got 'no'"),
    ({"skip_lines": -1}, "csv.skip_lines must be a whole number >= 0, got -1"),
    ({"skip_lines": True}, "csv.skip_lines must be a whole number >= 0"),
    ({"skip_lines": "1"}, "csv.skip_lines must be a whole number >= 0"),
    ({"header": False}, "csv.columns is required when csv.header is false"),
    ({"columns": "a,b"}, "csv.columns must be a list of column names"),
    ({"columns": ["a", ""]}, "csv.columns must be a list of column names"),
    ({"columns": ["a", "b", "a"]}, "csv.columns names ['a'] more than once"),
    ({"delimiter": ";;"}, "csv.delimiter must be one character"),
    ({"delimiter": '"'}, "csv.delimiter must be one character other than a quote"),
    ({"encoding": "klingon-8"}, "csv.encoding 'klingon-8' is not a known text encoding"),
    ({"encoding": "base64"}, "csv.encoding 'base64' is not a known text encoding"),
    ({"encoding": "rot13"}, "csv.encoding 'rot13' is not a known text encoding"),
    ({"seperator": ";"}, "unknown csv field(s) ['seperator']"),
    ("skip_lines: 1", "csv must be a mapping"),
])
def test_a_bad_csv_option_is_a_catalog_error_naming_the_field(tmp_path, csv, message):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("id\n1\n")
    entry = {"id": "rows", "title": "Rows", "format": "csv", "source": {"kind": "file", "path": "data/rows.csv"},
             "csv": csv}
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [entry]}))
    catalog = load_catalog(tmp_path / "catalog.yaml")
    assert message in catalog.problems["rows"]


def test_csv_options_apply_only_to_csv(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"id": 1}\n')
    entry = {"id": "rows", "title": "Rows", "format": "jsonl", "source": {"kind": "file", "path": "rows.jsonl"},
             "csv": {"header": True}}
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [entry]}))
    assert "csv applies only to format csv" in load_catalog(tmp_path / "catalog.yaml").problems["rows"]


def test_null_values_must_be_a_list(tmp_path):
    (tmp_path / "rows.csv").write_text("id\n1\n")
    entry = {"id": "rows", "title": "Rows", "format": "csv", "source": {"kind": "file", "path": "rows.csv"},
             "null_values": "NA"}
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [entry]}))
    assert "null_values must be a list" in load_catalog(tmp_path / "catalog.yaml").problems["rows"]


def snapshot_id_for(entry, sha: str) -> str:
    return snapshot_id_for_decision(entry, [sha], {"decision": "publish"})


def test_the_options_enter_the_snapshot_id_in_a_stable_form(tmp_path):
    sha = "ab" * 32
    plain = catalog_entry(tmp_path, b"id\n1\n")
    assert plain.csv == CsvOptions()
    assert snapshot_id_for(catalog_entry(tmp_path, b"id\n1\n", csv={}), sha) == snapshot_id_for(plain, sha)
    spellings = [catalog_entry(tmp_path, b"id\n1\n", csv={"encoding": name}) for name in ("latin-1", "ISO-8859-1",
                                                                                          "latin1")]
    assert {entry.csv.encoding for entry in spellings} == {"iso8859-1"}
    assert len({snapshot_id_for(entry, sha) for entry in spellings}) == 1
    variants = [{"skip_lines": 1}, {"skip_lines": 0}, {"delimiter": ";"}, {"header": False, "columns": ["id"]},
                {"columns": ["key"]}, {"encoding": "cp1252"}]
    ids = {snapshot_id_for(catalog_entry(tmp_path, b"id\n1\n", csv=csv), sha) for csv in variants}
    assert len(ids) == len(variants) and snapshot_id_for(plain, sha) not in ids


# --- the conversion ----------------------------------------------------------------------------------------


def test_skip_lines_drops_the_lines_before_the_header(tmp_path):
    data = b"Station log, exported 2024-05-01\n# units: mm\nday,rain_mm\n1,0.5\n2,0\n"
    assert convert(tmp_path, data, csv={"skip_lines": 2}) == (["day", "rain_mm"], [(1, 0.5), (2, 0.0)])


def test_header_false_with_columns_keeps_the_first_line_as_data(tmp_path):
    data = b"1,Ada,1815\n2,Grace,1906\n"
    columns, rows = convert(tmp_path, data, csv={"header": False, "columns": ["id", "name", "born"]})
    assert columns == ["id", "name", "born"]
    assert rows == [(1, "Ada", 1815), (2, "Grace", 1906)]


def test_columns_with_a_header_rename_it(tmp_path):
    columns, rows = convert(tmp_path, b"Sample Number,Body Mass (g)\n1,3750\n", csv={"columns": ["sample", "mass_g"]})
    assert columns == ["sample", "mass_g"] and rows == [(1, 3750)]


def test_columns_that_do_not_match_the_file_are_a_conversion_error(tmp_path):
    with pytest.raises(ConversionError, match=r"csv.columns names 2 columns but the file has 3"):
        convert(tmp_path, b"1,2,3\n4,5,6\n", csv={"header": False, "columns": ["a", "b"]})


def test_a_semicolon_delimiter_keeps_decimal_commas_inside_fields(tmp_path):
    data = "Gemeinde;Fläche km²;Einwohner\nBern;51,62;146 000\nBiel;21,21;56 000\n".encode()
    columns, rows = convert(tmp_path, data, csv={"delimiter": ";"})
    assert columns == ["Gemeinde", "Fläche km²", "Einwohner"]
    assert rows == [("Bern", "51,62", "146 000"), ("Biel", "21,21", "56 000")]


def test_cp1252_is_transcoded(tmp_path):
    data = f"id,text\n1,{SMART_TEXT}\n2,plain\n".encode("cp1252")
    assert b"\x80" in data and b"\x93" in data  # the euro sign and a left double quote, in cp1252's own bytes
    assert convert(tmp_path, data, csv={"encoding": "cp1252"}) == (["id", "text"], [(1, SMART_TEXT), (2, "plain")])


def test_transcoding_is_chunked_and_a_character_split_across_chunks_survives(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_source, "TRANSCODE_CHUNK", 7)  # odd: splits two-byte characters
    text = "駅名,乗降客数\n新宿,3590000\n渋谷,2420000\n"
    assert convert(tmp_path, text.encode("shift_jis"), csv={"encoding": "shift_jis"}) == (
        ["駅名", "乗降客数"], [("新宿", 3590000), ("渋谷", 2420000)])


def test_a_byte_invalid_in_the_encoding_is_a_conversion_error_naming_its_offset(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_source, "TRANSCODE_CHUNK", 4)
    data = b"id,text\n1,caf\xe9\n2,\x81\n"  # 0x81 has no character in cp1252
    offset = data.index(b"\x81")
    with pytest.raises(ConversionError, match=f"not valid cp1252: .* at byte {offset}$"):
        convert(tmp_path, data, csv={"encoding": "cp1252"})


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_a_byte_order_mark(tmp_path, codec):
    text = f"id,text\n1,{SMART_TEXT}\n"
    data = text.encode("utf-16") if codec == "utf-16" else b"\xfe\xff" + text.encode("utf-16-be")
    # Little-endian (what Python writes here) DuckDB reads itself; big-endian goes through the transcoding.
    native = csv_source.duckdb_encoding(_written(tmp_path, data), "utf-16")
    assert native == ("utf-16" if data.startswith(b"\xff\xfe") else None)
    assert convert(tmp_path, data, csv={"encoding": "utf-16"}) == (["id", "text"], [(1, SMART_TEXT)])


def _written(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "probe.csv"
    path.write_bytes(data)
    return path


# --- the csv_header check ----------------------------------------------------------------------------------


def test_a_header_the_sniffer_sees_where_the_catalog_declares_none_fails(tmp_path):
    entry = catalog_entry(tmp_path, b"id,mass_g\n1,3750\n2,3800\n", csv={"header": False, "columns": ["a", "b"]})
    parquet = to_parquet(Path(entry.source.path), "csv", tmp_path / "data.parquet", csv_options=entry.csv)
    outcome = header_outcome(parquet.path)
    assert not outcome.passed and outcome.severity == "ERROR"
    assert "the sniffer finds a header, csv.header says false" in outcome.observed["observed_value"]


def test_all_text_rows_without_a_header_pass_when_declared(tmp_path):
    entry = catalog_entry(tmp_path, b"Ada,London\nGrace,New York\n", csv={"header": False, "columns": ["a", "b"]})
    parquet = to_parquet(Path(entry.source.path), "csv", tmp_path / "data.parquet", csv_options=entry.csv)
    outcome = header_outcome(parquet.path)
    assert outcome.passed and "the sniffer cannot tell" in outcome.observed["observed_value"]


def test_a_snapshot_not_read_from_csv_passes(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"1": 1}\n')
    parquet = to_parquet(tmp_path / "rows.jsonl", "jsonl", tmp_path / "data.parquet")
    assert header_outcome(parquet.path).observed["observed_value"] == "not read from a CSV source"


# --- scikit-learn's wine_data.csv, read from the installed package -----------------------------------------


@pytest.fixture
def wine(tmp_path):
    """A catalog folder holding scikit-learn's wine_data.csv (copied at test time, never committed)."""
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn (dev dependency) is not installed")
    source = Path(datasets.__file__).parent / "data" / "wine_data.csv"
    if not source.is_file():
        pytest.skip("the installed scikit-learn has no sklearn/datasets/data/wine_data.csv")
    (tmp_path / "data").mkdir()
    shutil.copyfile(source, tmp_path / "data" / "wine_data.csv")
    return datasets.load_wine()


def wine_snapshot(tmp_path: Path, csv: dict | None) -> tuple[Path, object]:
    """The snapshot of wine_data.csv read through a catalog entry with these `csv:` options."""
    entry = {"id": "wine", "title": "Wine recognition", "format": "csv",
             "source": {"kind": "file", "path": "data/wine_data.csv"}, **({"csv": csv} if csv else {})}
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [entry]}))
    entry = load_catalog(tmp_path / "catalog.yaml").get("wine")
    out = tmp_path / "wine.parquet"
    return out, to_parquet(Path(entry.source.path), "csv", out, entry.null_values, entry.csv)


def test_wine_without_options_fails_the_csv_header_check(tmp_path, wine):
    first_line = (tmp_path / "data" / "wine_data.csv").read_text().splitlines()[0]
    assert first_line.split(",")[0] == str(len(wine.data))  # the metadata line: rows, features, class names
    out, parquet = wine_snapshot(tmp_path, None)
    assert parquet.row_count == len(wine.data) - 1  # the first record became the header
    record = DatasetRecord(None, parquet.columns, None)
    outcome = {o.name: o for o in run_governance(out, record, GovernanceConfig())}["csv_header"]
    assert not outcome.passed and outcome.severity == "ERROR"
    summary = outcome.observed["observed_value"]
    assert "all column names are numbers (14.23, 1.71, 2.43, …): the header is data" in summary
    assert "the sniffer finds no header, csv.header says true" in summary
    assert "the sniffer skips 1 line(s) csv.skip_lines does not declare" in summary


def test_wine_with_skip_lines_and_its_column_names_is_read_whole(tmp_path, wine):
    names = [*wine.feature_names, "target"]
    out, parquet = wine_snapshot(tmp_path, {"skip_lines": 1, "header": False, "columns": names})
    assert parquet.row_count == len(wine.data) == 178
    assert [c["name"] for c in parquet.columns] == names and len(names) == 14
    with duckdb.connect() as connection:
        rows = connection.execute("SELECT * FROM read_parquet(?)", [str(out)]).fetchall()
    assert [list(row[:-1]) for row in rows] == wine.data.tolist()
    assert [row[-1] for row in rows] == wine.target.tolist()
    outcome = header_outcome(out)
    assert outcome.passed, outcome.observed
