"""Stage (a), the floor: bare DuckDB converts the JSONL to Parquet, then one SQL scan computes the 4 checks.

    python -m bench.baseline <corpus.jsonl> <out.parquet>"""

from __future__ import annotations

import sys
import time

import duckdb

from bench.measure import emit
from bench.workload import URL_REGEX

COPY_SQL = "COPY (SELECT * FROM read_json(?, format = 'newline_delimited')) TO '{out}' (FORMAT parquet)"
# The suite's checks in one pass: row count >= 1, id not null, id unique, url matches (nulls skipped, as in GX).
CHECKS_SQL = """
SELECT count(*) AS row_count,
       count(*) - count(id) AS null_ids,
       count(id) - count(DISTINCT id) AS duplicate_ids,
       count(*) FILTER (WHERE NOT regexp_matches(url, ?)) AS unmatched_urls
FROM read_parquet(?)
"""


def main(corpus: str, out: str) -> None:
    with duckdb.connect() as connection:
        started = time.perf_counter()
        connection.execute(COPY_SQL.format(out=out.replace("'", "''")), [corpus])
        converted = time.perf_counter()
        row_count, null_ids, duplicate_ids, unmatched_urls = connection.execute(CHECKS_SQL, [URL_REGEX, out]).fetchone()
        checked = time.perf_counter()
    emit({
        "convert_s": converted - started,
        "checks_s": checked - converted,
        "rows": row_count,
        "checks_passed": row_count >= 1 and null_ids == 0 and duplicate_ids == 0 and unmatched_urls == 0,
    })


if __name__ == "__main__":
    main(*sys.argv[1:3])
