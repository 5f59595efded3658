"""Running suites with Great Expectations on DuckDB over Parquet files: failures must really fail."""

from __future__ import annotations

import datetime
import decimal
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from checks.gx_duckdb import SuiteRun, duckdb_expectation, json_safe, prepare_gx, run_suite
from checks.gx_pandas import run_suite_pandas
from checks.suite import SUITES_DIR, ExpectationSpec, Suite, SuiteError, load_suite, parse_suite

REPO = Path(__file__).resolve().parents[2]


def spec(kind: str, severity: str = "ERROR", **kwargs) -> ExpectationSpec:
    return ExpectationSpec(kind, kwargs, severity)


def suite_of(*specs: ExpectationSpec) -> Suite:
    return Suite("penguins", specs, "test")


def write_parquet(path: Path, columns: dict) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


@pytest.fixture(scope="module")
def clean_parquet(tmp_path_factory) -> Path:
    return write_parquet(tmp_path_factory.mktemp("clean") / "clean.parquet", {
        "id": [1, 2, 3, 4, 5],
        "island": ["Biscoe", "Dream", "Torgersen", "Dream", "Biscoe"],
        "body_mass_g": [3750, 3800, 3250, None, 3450],
    })


@pytest.fixture(scope="module")
def dirty_parquet(tmp_path_factory) -> Path:
    return write_parquet(tmp_path_factory.mktemp("dirty") / "dirty.parquet", {
        "id": [1, 2, 3, 3, None, 6],
        "island": ["Biscoe", "Dream", "torgersen", "Dream", "Biscoe", "DREAM"],
    })


DIRTY_SUITE = suite_of(
    spec("expect_column_values_to_not_be_null", column="id"),
    spec("expect_column_values_to_be_unique", column="id"),
    spec("expect_column_values_to_match_regex", column="island", regex="^[A-Z][a-z]+$"),
    spec("expect_table_row_count_to_be_between", min_value=10),
)


@pytest.fixture(scope="module")
def dirty_run(dirty_parquet) -> SuiteRun:
    return run_suite(dirty_parquet, DIRTY_SUITE)


def outcomes_by_name(run: SuiteRun) -> dict:
    return {outcome.name: outcome for outcome in run.outcomes}


def test_a_passing_suite_passes_with_the_observed_values(clean_parquet):
    run = run_suite(clean_parquet, suite_of(
        spec("expect_table_row_count_to_be_between", min_value=1, max_value=10),
        spec("expect_column_values_to_not_be_null", column="id"),
        spec("expect_column_values_to_be_unique", column="id"),
        spec("expect_column_values_to_match_regex", column="island", regex="^[A-Z][a-z]+$"),
        spec("expect_column_values_to_be_between", column="body_mass_g", min_value=3000, max_value=4000),
    ))
    assert run.success is True
    assert [o.name for o in run.outcomes] == [
        "row_count", "not_null:id", "unique:id", "regex:island", "between:body_mass_g",
    ]
    assert all(o.passed for o in run.outcomes)
    found = outcomes_by_name(run)
    assert found["row_count"].observed == {"observed_value": 5}
    assert found["not_null:id"].observed["element_count"] == 5
    assert found["not_null:id"].observed["unexpected_count"] == 0
    assert found["regex:island"].observed["unexpected_count"] == 0
    assert found["between:body_mass_g"].observed["missing_count"] == 1  # nulls are skipped, not failures
    assert all(o.sample_values == [] for o in run.outcomes)
    assert run.data_docs_index is None
    assert 0 < run.duration_s < 60


def test_a_null_in_a_not_null_column_fails(dirty_run):
    outcome = outcomes_by_name(dirty_run)["not_null:id"]
    assert outcome.passed is False
    assert (outcome.expectation_type, outcome.column, outcome.severity) == (
        "expect_column_values_to_not_be_null", "id", "ERROR")
    assert outcome.observed["unexpected_count"] == 1
    assert outcome.observed["element_count"] == 6
    assert outcome.sample_values == [None]


def test_a_duplicate_key_fails(dirty_run):
    outcome = outcomes_by_name(dirty_run)["unique:id"]
    assert outcome.passed is False
    assert outcome.observed["unexpected_count"] == 2  # both rows holding the duplicated 3
    assert outcome.sample_values == [3]


def test_a_regex_mismatch_fails_with_the_mismatching_values(dirty_run):
    outcome = outcomes_by_name(dirty_run)["regex:island"]
    assert outcome.passed is False
    assert outcome.expectation_type == "expect_column_values_to_match_regex"
    assert outcome.observed["unexpected_count"] == 2
    assert sorted(outcome.sample_values) == ["DREAM", "torgersen"]


def test_a_row_count_below_the_minimum_fails(dirty_run):
    outcome = outcomes_by_name(dirty_run)["row_count"]
    assert outcome.passed is False
    assert outcome.observed["observed_value"] == 6


def test_a_failed_error_expectation_fails_the_run_and_outcomes_are_json_safe(dirty_run):
    assert dirty_run.success is False
    for outcome in dirty_run.outcomes:
        json.dumps({"observed": outcome.observed, "samples": outcome.sample_values}, allow_nan=False)


def test_a_failed_warn_expectation_leaves_the_run_successful(dirty_parquet):
    run = run_suite(dirty_parquet, suite_of(
        spec("expect_table_row_count_to_be_between", min_value=1),
        spec("expect_column_values_to_be_unique", "WARN", column="id"),
    ))
    assert run.success is True
    warned = outcomes_by_name(run)["unique:id"]
    assert (warned.passed, warned.severity) == (False, "WARN")


def test_regex_options_work_on_duckdb(dirty_parquet):
    run = run_suite(dirty_parquet, suite_of(
        spec("expect_column_values_to_match_regex", column="island", regex="^[A-Z][a-z]+$", mostly=0.6),
        spec("expect_column_values_to_not_match_regex", column="island", regex="^[a-z]"),
        ExpectationSpec("expect_column_values_to_match_regex", {"column": "island", "regex": "^[A-Z]{1}[a-z']+"},
                        custom_name="braces_and_quote"),
    ))
    found = outcomes_by_name(run)
    assert found["regex:island"].passed is True  # 4 of 6 match: mostly 0.6 tolerates the 2 others
    assert found["regex:island"].observed["unexpected_count"] == 2
    assert found["not_regex:island"].passed is False
    assert found["not_regex:island"].sample_values == ["torgersen"]
    assert found["braces_and_quote"].passed is False  # "DREAM" and "torgersen"; partial match: "Biscoe" passes
    assert found["braces_and_quote"].observed["unexpected_count"] == 2


def test_the_default_suite_catches_a_duplicate_key(dirty_parquet):
    run = run_suite(dirty_parquet, load_suite("dirty", ["id"], suites_dir=dirty_parquet.parent))
    assert run.success is False
    found = outcomes_by_name(run)
    assert [found[name].passed for name in ("row_count", "not_null:id", "unique:id")] == [True, False, False]


def test_a_composite_key_is_unique_as_a_whole(tmp_path):
    parquet = write_parquet(tmp_path / "readings.parquet", {"station": ["n", "n", "s"], "day": [1, 2, 1]})
    assert run_suite(parquet, load_suite("readings", ["station", "day"], suites_dir=tmp_path)).success is True
    parquet = write_parquet(tmp_path / "readings.parquet", {"station": ["n", "n", "s"], "day": [1, 1, 1]})
    outcome = outcomes_by_name(run_suite(parquet, load_suite("readings", ["station", "day"], suites_dir=tmp_path)))
    assert outcome["unique:station,day"].passed is False


def test_a_failing_query_fails_only_its_own_expectation(clean_parquet):
    # Python's re accepts a lookahead, DuckDB's RE2 does not: the query fails on DuckDB.
    run = run_suite(clean_parquet, suite_of(
        spec("expect_column_values_to_match_regex", column="island", regex="^(?=B)"),
        spec("expect_column_values_to_not_be_null", column="id"),
        spec("expect_column_values_to_be_between", column="body_mass_g", min_value=0, max_value=10),
    ))
    found = outcomes_by_name(run)
    assert found["regex:island"].passed is False
    assert "invalid perl operator" in found["regex:island"].observed["error"]
    assert found["not_null:id"].passed is True
    assert "error" not in found["not_null:id"].observed
    assert found["between:body_mass_g"].passed is False
    assert found["between:body_mass_g"].observed["unexpected_count"] == 4


def test_a_missing_column_is_a_failed_outcome_with_the_error(clean_parquet):
    run = run_suite(clean_parquet, suite_of(spec("expect_column_values_to_not_be_null", column="no_such_column")))
    outcome = run.outcomes[0]
    assert (run.success, outcome.passed) == (False, False)
    assert "no_such_column" in outcome.observed["error"]


def test_invalid_kwargs_are_a_suite_error_naming_file_and_line(clean_parquet, tmp_path):
    path = tmp_path / "penguins.yaml"
    path.write_text("expectations:\n  - type: expect_table_row_count_to_be_between\n    kwargs: {min_value: 1}\n"
                    "  - type: expect_column_values_to_not_be_null\n    kwargs: {colum: id}\n")
    expected = (f"{path}:4 (not_null): invalid kwargs for expect_column_values_to_not_be_null: "
                "column: field required; colum: extra fields not permitted")
    with pytest.raises(SuiteError) as error:
        run_suite(clean_parquet, load_suite("penguins", suites_dir=tmp_path))
    assert str(error.value) == expected


def test_a_missing_parquet_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        run_suite(tmp_path / "absent.parquet", suite_of(spec("expect_table_row_count_to_be_between", min_value=1)))


def test_samples_are_json_safe_and_short(tmp_path):
    parquet = write_parquet(tmp_path / "types.parquet", {
        "seen_at": [datetime.datetime(2024, 5, 1, 12, 30)] * 2,
        "amount": pa.array([decimal.Decimal("1.50"), decimal.Decimal("2.25")], pa.decimal128(5, 2)),
        "text": ["x" * 1000, "short"],
        "ratio": [float("nan"), 0.5],
    })
    run = run_suite(parquet, suite_of(
        spec("expect_column_values_to_be_null", column="seen_at"),
        spec("expect_column_values_to_be_null", column="amount"),
        spec("expect_column_values_to_be_null", column="text"),
        spec("expect_column_values_to_be_between", column="ratio", min_value=0, max_value=0.1),
    ))
    found = outcomes_by_name(run)
    assert found["column_values_to_be_null:seen_at"].sample_values == ["2024-05-01T12:30:00"]
    assert found["column_values_to_be_null:amount"].sample_values == ["1.50", "2.25"]
    assert [len(v) for v in found["column_values_to_be_null:text"].sample_values] == [200, 5]
    assert not found["between:ratio"].passed
    for outcome in run.outcomes:
        json.dumps({"observed": outcome.observed, "samples": outcome.sample_values}, allow_nan=False)


def test_observed_values_stay_small_and_strict_json():
    assert json_safe(list(range(25))) == list(range(20)) + ["... 5 more"]
    assert json_safe({"a": float("inf"), 1: b"\x01", "t": (1, 2)}) == {"a": "inf", "1": "01", "t": [1, 2]}


@pytest.mark.parametrize("path", sorted(SUITES_DIR.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_shipped_suite_builds_its_gx_expectations(path):
    prepare_gx()
    suite = load_suite(path.stem)
    built = [duckdb_expectation(spec, suite) for spec in suite.expectations]
    assert [expectation.meta["check"] for expectation in built] == [spec.name for spec in suite.expectations]


def test_data_docs_are_built_and_mention_the_suite_and_its_checks(dirty_parquet, tmp_path):
    run = run_suite(dirty_parquet, DIRTY_SUITE, data_docs_dir=tmp_path / "docs")
    assert run.data_docs_index == tmp_path / "docs" / "index.html"
    assert run.data_docs_index.is_file()
    assert "penguins" in run.data_docs_index.read_text()
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert len(pages) == 1
    page = pages[0].read_text()
    assert "^[A-Z][a-z]+$" in page and "torgersen" in page
    assert [o.passed for o in run.outcomes] == [o.passed for o in run_suite(dirty_parquet, DIRTY_SUITE).outcomes]


def test_results_survive_an_expectation_gx_cannot_store_for_data_docs(clean_parquet, tmp_path):
    quantiles = spec("expect_column_quantile_values_to_be_between", column="id",
                     quantile_ranges={"quantiles": [0.5], "value_ranges": [[2, 4]]})
    run = run_suite(clean_parquet, suite_of(quantiles), data_docs_dir=tmp_path / "docs")
    assert [o.passed for o in run.outcomes] == [True]
    assert run.data_docs_index is None


def test_the_pandas_engine_gives_the_same_verdicts(dirty_parquet, dirty_run):
    pandas_run = run_suite_pandas(dirty_parquet, DIRTY_SUITE)
    assert [(o.name, o.passed, o.observed.get("unexpected_count")) for o in pandas_run.outcomes] == \
        [(o.name, o.passed, o.observed.get("unexpected_count")) for o in dirty_run.outcomes]


def test_the_shipped_penguins_suite_passes_on_the_shipped_penguins(tmp_path):
    from assets.catalog import load_catalog
    from assets.convert import to_parquet

    entry = load_catalog().get("palmer-penguins")
    parquet = to_parquet(Path(entry.source.path), entry.format, tmp_path / "penguins.parquet", entry.null_values).path
    run = run_suite(parquet, load_suite("palmer-penguins"))
    assert all(o.passed for o in run.outcomes), [o for o in run.outcomes if not o.passed]
    assert outcomes_by_name(run)["row_count"].observed["observed_value"] == 344


def test_parse_suite_accepts_inline_text(clean_parquet):
    suite = parse_suite("inline", "expectations:\n  - type: expect_table_row_count_to_equal\n"
                                  "    kwargs: {value: 5}\n", "inline")
    assert run_suite(clean_parquet, suite).success is True
