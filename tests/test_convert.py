"""The conversion to Parquet: one read of the source, bounded row groups, schema and rows from the footer."""

from __future__ import annotations

import duckdb
import pytest

from assets.convert import ConversionError, to_parquet


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
