"""The benchmark's building blocks on a tiny corpus (bench/run.py itself takes ~1 min: GX imports 3 times)."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from bench.generate import generate_corpus, parse_size
from bench.measure import StageRun, run_stage
from bench.run import Results
from bench.workload import DATASET_ID, URL_REGEX, write_workspace

JSON_KEYS = {"rows", "input_bytes", "files", "baseline_s", "pipeline_s", "ratio", "checks_s", "gx_pandas_s", "peak_rss_mb",
             "noop_rerun_s", "noop_tick_s", "forced_rerun_s"}


def test_sizes_parse_in_decimal_units():
    assert parse_size("200MB") == 200_000_000
    assert parse_size("1GB") == parse_size("1 gb") == 10**9
    assert parse_size("1.5GB") == 1_500_000_000
    with pytest.raises(ValueError):
        parse_size("lots")


def test_generated_corpus_is_a_clean_text_corpus(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    generate_corpus(corpus, 2000)
    first = json.loads(corpus.read_text().splitlines()[0])
    assert set(first) == {"id", "url", "lang", "license", "text"}
    with duckdb.connect() as connection:
        rows, ids, shortest, longest, unmatched = connection.execute(
            "SELECT count(*), count(DISTINCT id), min(len(string_split(text, ' '))),"
            " max(len(string_split(text, ' '))), count(*) FILTER (WHERE NOT regexp_matches(url, ?))"
            " FROM read_json(?, format = 'newline_delimited')", [URL_REGEX, str(corpus)]).fetchone()
    assert (rows, ids, unmatched) == (2000, 2000, 0)
    assert 20 <= shortest < 40 and 180 < longest <= 200
    assert re.fullmatch(URL_REGEX, first["url"])


def test_baseline_stage_converts_and_checks_every_row_in_its_own_process(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    generate_corpus(corpus, 2000)
    run = run_stage("bench.baseline", [str(corpus), str(tmp_path / "out.parquet")])
    assert run.report["rows"] == 2000 and run.report["checks_passed"] is True
    assert run.wall_s > run.report["convert_s"] > 0 and run.peak_rss_mb > 10


def test_the_last_json_line_carries_the_headline_figures():
    def stage(wall_s: float, **report) -> StageRun:
        return StageRun(wall_s, 500.0, wall_s, report)

    results = Results(rows=10, input_bytes=1000, generate_s=0.1, baseline=stage(2.0), pipeline=stage(3.0, suite_s=0.4),
                      pipeline_peak_rss_mb=600.4, gx_pandas=stage(9.0, suite_s=5.0),
                      noop=stage(0.5, tick_s=0.0123, runs=0), forced=stage(1.5))
    summary = results.summary()
    assert set(summary) == JSON_KEYS
    assert summary["ratio"] == 1.5 and summary["checks_s"] == 0.4 and summary["gx_pandas_s"] == 5.0
    assert summary["peak_rss_mb"] == 600 and summary["noop_rerun_s"] == 0.5
    assert summary["noop_tick_s"] == 0.012 and summary["forced_rerun_s"] == 1.5


def test_pipeline_stage_runs_once_then_the_nightly_finds_nothing_new(tmp_path):
    corpus = tmp_path / "source" / "corpus.jsonl"
    corpus.parent.mkdir()
    generate_corpus(corpus, 500)
    env = write_workspace(tmp_path / "workspace", corpus)
    first = run_stage("bench.pipeline", [DATASET_ID, "nightly"], env)
    assert first.report["runs"] == 1 and first.report["success"] and first.report["rows"] == 500
    assert first.report["checks_passed"] is True
    again = run_stage("bench.pipeline", [DATASET_ID, "nightly"], env)
    assert again.report["runs"] == 0 and "success" not in again.report
    forced = run_stage("bench.pipeline", [DATASET_ID, "forced"], env)
    assert forced.report["runs"] == 1 and forced.report["snapshot_status"].startswith("unchanged since")
