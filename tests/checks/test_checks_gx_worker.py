"""The GX worker process: the same outcomes as an in-process run, errors raised in the run, and stopped early
without leaving a process behind."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from checks.gx_duckdb import run_suite
from checks.gx_worker import PROJECT_ROOT, SuiteWorker
from checks.suite import ExpectationSpec, Suite, SuiteError


def test_worker_outcomes_equal_an_in_process_run_and_data_docs_are_written(tmp_path):
    parquet = tmp_path / "dirty.parquet"
    pq.write_table(pa.table({"id": [1, 2, 2, None], "island": ["Biscoe", "Dream", "dream", "Torgersen"]}), parquet)
    suite = Suite("islands", (
        ExpectationSpec("expect_column_values_to_be_unique", {"column": "id"}),
        ExpectationSpec("expect_column_values_to_match_regex", {"column": "island", "regex": "^[A-Z]"}, "WARN"),
        ExpectationSpec("expect_table_row_count_to_be_between", {"min_value": 1}),
    ), "test")
    worker = SuiteWorker()
    from_worker = worker.run_suite({"train": parquet}, suite, tmp_path / "docs")["train"]
    in_process = run_suite(parquet, suite)
    assert [(o.name, o.passed, o.observed.get("unexpected_count")) for o in from_worker.outcomes] == \
        [(o.name, o.passed, o.observed.get("unexpected_count")) for o in in_process.outcomes]
    assert [o.passed for o in from_worker.outcomes] == [False, False, True]
    assert from_worker.data_docs_index == tmp_path / "docs" / "index.html" and from_worker.data_docs_index.is_file()


def test_a_suite_error_in_the_worker_is_raised_in_the_run(tmp_path):
    parquet = tmp_path / "one.parquet"
    pq.write_table(pa.table({"id": [1]}), parquet)
    suite = Suite("one", (ExpectationSpec("expect_column_values_to_be_unique", {"colum": "id"}),), "suite.yaml")
    with pytest.raises(SuiteError, match="invalid kwargs"):
        SuiteWorker().run_suite({"train": parquet}, suite, None)


def test_a_worker_never_asked_is_stopped_at_once():
    worker = SuiteWorker()
    started = time.perf_counter()
    worker.stop()
    assert time.perf_counter() - started < 3
    assert worker._process.returncode is not None


def test_the_worker_exits_without_pages_of_duckdb_leak_reports(tmp_path):
    parquet = tmp_path / "one.parquet"
    pq.write_table(pa.table({"id": [1, 2], "island": ["Biscoe", "Dream"]}), parquet)
    suite = Suite("one", (
        ExpectationSpec("expect_column_values_to_be_unique", {"column": "id"}),
        ExpectationSpec("expect_column_values_to_match_regex", {"column": "island", "regex": "^[A-Z]"}),
    ), "suite.yaml")
    worker = subprocess.run([sys.executable, "-m", "checks.gx_worker"], cwd=PROJECT_ROOT, capture_output=True,
                            input=pickle.dumps(({"train": parquet}, suite, tmp_path / "docs")), check=True)
    kind, runs = pickle.loads(worker.stdout)
    assert kind == "ok" and runs["train"].success, runs
    assert b"nanobind" not in worker.stderr, worker.stderr.decode(errors="replace")[-2000:]
