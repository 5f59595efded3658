"""The conversion to Parquet: one read of the source, bounded row groups, schema and rows from the footer."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.convert import ConversionError, to_parquet
from assets.hub_types import unloadable_reason


def test_schema_and_row_count_come_from_the_written_parquet(tmp_path):
    source = tmp_path / "rows.jsonl"
    source.write_text('{"id": 1, "when": "2024-01-02", "tags": ["a"], "mixed": 1}\n'
                      '{"id": 2, "when": "2024-01-03", "tags": [], "mixed": "x"}\n')
    (tmp_path / "out").mkdir()
    parquet = to_parquet(source, "jsonl", tmp_path / "out" / "data.parquet")
    assert parquet.row_count == 2
    assert parquet.columns == [{"name": "id", "type": "BIGINT"}, {"name": "when", "type": "DATE"},
                               {"name": "tags", "type": "VARCHAR[]"}, {"name": "mixed", "type": "JSON"}]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["data.parquet"]  # no spill folder left behind


def test_wide_rows_get_small_row_groups(tmp_path):
    source = tmp_path / "wide.jsonl"
    with duckdb.connect() as connection:  # 600 rows of 64 KB: ~38 MB, more than one 16 MB row group
        connection.execute(f"COPY (SELECT i AS id, repeat('x', 65536) AS blob FROM range(600) r(i)) "
                           f"TO '{source}' (FORMAT json)")
    parquet = to_parquet(source, "jsonl", tmp_path / "wide.parquet")
    with duckdb.connect() as connection:
        groups, largest = connection.execute(
            "SELECT count(DISTINCT row_group_id), max(row_group_num_rows) FROM parquet_metadata(?)",
            [str(parquet.path)]).fetchone()
    assert parquet.row_count == 600 and groups > 1 and largest < 600


def test_an_unreadable_source_is_a_conversion_error(tmp_path):
    source = tmp_path / "broken.jsonl"
    source.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(ConversionError, match="could not read the source as jsonl"):
        to_parquet(source, "jsonl", tmp_path / "out.parquet")


@pytest.mark.parametrize("name, content, renamed", [
    ("rows.csv", b"a,a,A,b,B_1\n1,2,3,4,5\n", [{"from": "a", "to": "a_1"}, {"from": "A", "to": "A_2"}]),
    ("rows.jsonl", b'{"id": 1, "Name": "x", "name": "y"}\n{"id": 2, "name": "z"}\n',
     [{"from": "name", "to": "name_1"}]),
])
def test_column_names_duckdb_makes_unique_are_recorded(tmp_path, name, content, renamed):
    source = tmp_path / name
    source.write_bytes(content)
    parquet = to_parquet(source, name.rsplit(".", 1)[1], tmp_path / "out.parquet")
    assert parquet.renamed_columns == renamed  # B_1 is the source's own name: not a rename


def test_colliding_parquet_column_names_are_recorded(tmp_path):
    pq.write_table(pa.table([pa.array([1]), pa.array([2]), pa.array([3])], names=["a", "a", "A"]),
                   tmp_path / "source.parquet")
    parquet = to_parquet(tmp_path / "source.parquet", "parquet", tmp_path / "out.parquet")
    assert [c["name"] for c in parquet.columns] == ["a", "a_1", "A_2"]
    assert parquet.renamed_columns == [{"from": "a", "to": "a_1"}, {"from": "A", "to": "A_2"}]


def test_names_that_only_look_renamed_are_not_recorded(tmp_path):
    source = tmp_path / "rows.csv"
    source.write_text("id,value_1,value_2\n1,2,3\n")
    assert to_parquet(source, "csv", tmp_path / "out.parquet").renamed_columns == []


def test_maps_and_uuids_are_written_as_types_datasets_loads(tmp_path):
    from datasets import Features

    entries = pa.map_(pa.string(), pa.int64())
    pq.write_table(pa.table({
        "id": [1, 2],
        "attrs": pa.array([[("a", 1)], [("b", 2), ("c", 3)]], type=entries),
        "nested": pa.array([{"m": [("x", 1)]}, None], type=pa.struct([("m", entries)])),
        "listed": pa.array([[[("y", 2)]], []], type=pa.list_(entries)),
    }), tmp_path / "source.parquet")
    assert unloadable_reason(tmp_path / "source.parquet").startswith("column attrs: Arrow type map<")
    with duckdb.connect() as connection:  # a UUID column as DuckDB writes it (Arrow's uuid extension type)
        connection.execute(f"COPY (SELECT *, uuid() AS key FROM '{tmp_path / 'source.parquet'}')"
                           f" TO '{tmp_path / 'with-uuid.parquet'}' (FORMAT parquet)")
    parquet = to_parquet(tmp_path / "with-uuid.parquet", "parquet", tmp_path / "out.parquet")
    assert unloadable_reason(parquet.path) is None
    Features.from_arrow_schema(pq.read_schema(parquet.path))
    with duckdb.connect() as connection:
        rows = connection.execute("SELECT attrs, nested, listed FROM read_parquet(?) ORDER BY id",
                                  [str(parquet.path)]).fetchall()
    assert rows == [([{"key": "a", "value": 1}], {"m": [{"key": "x", "value": 1}]}, [[{"key": "y", "value": 2}]]),
                    ([{"key": "b", "value": 2}, {"key": "c", "value": 3}], None, [])]
    assert [(c["column"], c["from"]) for c in parquet.retyped_columns] == [
        ("attrs", "MAP(VARCHAR, BIGINT)"), ("nested", "STRUCT(m MAP(VARCHAR, BIGINT))"),
        ("listed", "MAP(VARCHAR, BIGINT)[]"), ("key", "UUID")]
    assert {c["name"]: c["type"] for c in parquet.columns}["key"] == "VARCHAR"
