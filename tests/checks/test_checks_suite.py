"""Loading suites from YAML: names, defaults, and clear errors. No Great Expectations import needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from checks.suite import (
    SUITES_DIR,
    ExpectationSpec,
    MissingColumnError,
    SuiteError,
    check_columns_exist,
    default_suite,
    load_suite,
)

EXAMPLE = """\
# a comment line
expectations:
  - type: expect_table_row_count_to_be_between
    kwargs: {min_value: 1}
  - type: ExpectColumnValuesToNotBeNull
    kwargs: {column: species}
  - type: expect_column_values_to_match_regex
    kwargs: {column: island, regex: "^[A-Z][a-z]+$"}
    severity: warn
  - type: expect_compound_columns_to_be_unique
    kwargs: {column_list: [island, year]}
  - type: unexpected_rows_expectation
    kwargs: {unexpected_rows_query: "SELECT * FROM {batch} WHERE year < 2000"}
    name: no_old_years
"""


def write_suite(directory: Path, text: str, dataset_id: str = "penguins") -> Path:
    path = directory / f"{dataset_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(directory: Path, text: str) -> str:
    path = write_suite(directory, text)
    with pytest.raises(SuiteError) as error:
        load_suite("penguins", suites_dir=directory)
    message = str(error.value)
    assert str(path) in message
    return message


def test_a_suite_file_is_loaded_with_types_severities_names_and_lines(tmp_path):
    path = write_suite(tmp_path, EXAMPLE)
    suite = load_suite("penguins", ["ignored_when_a_file_exists"], suites_dir=tmp_path)
    assert suite.dataset_id == "penguins"
    assert suite.source == str(path)
    assert [spec.type for spec in suite.expectations] == [
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_not_be_null",  # the class name is accepted and normalised
        "expect_column_values_to_match_regex",
        "expect_compound_columns_to_be_unique",
        "unexpected_rows_expectation",
    ]
    assert [spec.name for spec in suite.expectations] == [
        "row_count", "not_null:species", "regex:island", "unique:island,year", "no_old_years",
    ]
    assert [spec.severity for spec in suite.expectations] == ["ERROR", "ERROR", "WARN", "ERROR", "ERROR"]
    assert [spec.line for spec in suite.expectations] == [3, 5, 7, 10, 12]
    assert suite.expectations[1].kwargs == {"column": "species"}
    assert suite.expectations[1].column == "species"
    assert suite.expectations[3].column is None


def test_names_of_other_expectation_types_keep_the_type_and_columns():
    assert ExpectationSpec("expect_column_mean_to_be_between", {"column": "score"}).name == \
        "column_mean_to_be_between:score"
    pair = ExpectationSpec("expect_column_pair_values_to_be_equal", {"column_A": "a", "column_B": "b"})
    assert pair.name == "column_pair_values_to_be_equal:a,b"
    assert ExpectationSpec("expect_table_columns_to_match_set", {"column_set": ["a"]}).name == \
        "table_columns_to_match_set"


def test_a_dataset_without_a_file_gets_the_default_suite_from_its_key_column(tmp_path):
    suite = load_suite("penguins", ["id"], suites_dir=tmp_path)
    assert suite.source == "default"
    assert [spec.name for spec in suite.expectations] == ["row_count", "not_null:id", "unique:id"]
    assert suite.expectations[0].kwargs == {"min_value": 1}
    assert all(spec.severity == "ERROR" for spec in suite.expectations)


def test_the_default_suite_checks_a_composite_key_as_a_whole():
    suite = default_suite("readings", ["station", "recorded_at"])
    assert [spec.name for spec in suite.expectations] == [
        "row_count", "not_null:station", "not_null:recorded_at", "unique:station,recorded_at",
    ]
    assert suite.expectations[-1].type == "expect_compound_columns_to_be_unique"


def test_the_default_suite_without_key_columns_only_counts_rows():
    assert [spec.name for spec in default_suite("x").expectations] == ["row_count"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("expectations:\n  - type: x\n    kwargs: {column: [unclosed\n",
         "not valid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence at line 3)"),
        ("expectations:\n  - type: x\n\tkwargs: {}\n", ":3: not valid YAML"),
        ("- just\n- a list\n", "a suite is a mapping"),
        ("expectations: []\n", "non-empty list"),
        ("expectation:\n  - type: expect_table_row_count_to_be_between\n", "unknown field(s) expectation"),
        ("expectations:\n  - kwargs: {min_value: 1}\n", ":2: `type:` must name a GX expectation"),
        ("expectations:\n  - type: expect_column_values_to_not_be_nul\n    kwargs: {column: a}\n",
         ":2: unknown expectation type 'expect_column_values_to_not_be_nul'; "
         "did you mean expect_column_values_to_not_be_null?"),
        ("expectations:\n  - type: expect_table_row_count_to_be_between\n    kwarg: {min_value: 1}\n",
         ":2: unknown field(s) kwarg"),
        ("expectations:\n  - type: expect_table_row_count_to_be_between\n    kwargs: [1]\n",
         "`kwargs:` must be a mapping"),
        ("expectations:\n  - type: expect_table_row_count_to_be_between\n    severity: FATAL\n",
         "`severity:` must be ERROR or WARN, not 'FATAL'"),
        ("expectations:\n  - type: expect_column_values_to_match_regex\n    kwargs: {column: a, regex: '(['}\n",
         ":2: invalid regex '(['"),
        ("expectations:\n  - type: expect_column_values_to_match_regex\n    kwargs: {column: a}\n",
         "needs `regex:`"),
        ("expectations:\n  - type: expect_column_values_to_not_be_null\n    kwargs: {column: a}\n"
         "  - type: expect_column_values_to_not_be_null\n    kwargs: {column: a}\n",
         ":4: a second check named 'not_null:a'"),
        ("expectations:\n  - type: expect_column_values_to_match_like_pattern\n"
         "    kwargs: {column: a, like_pattern: 'x%'}\n",
         ":2: expect_column_values_to_match_like_pattern does not run on DuckDB"),
        ("expectations:\n  - type: expect_table_row_count_to_be_between\n    name: 'has space'\n",
         "`name:` must be a short identifier"),
    ],
)
def test_a_malformed_suite_is_refused_naming_file_line_and_field(tmp_path, text, expected):
    assert expected in load_error(tmp_path, text)


def test_suites_may_live_in_the_folder_named_by_the_environment(tmp_path, monkeypatch):
    write_suite(tmp_path, EXAMPLE)
    monkeypatch.setenv("CHECK_SUITES_DIR", str(tmp_path))
    assert load_suite("penguins").source == str(tmp_path / "penguins.yaml")
    monkeypatch.delenv("CHECK_SUITES_DIR")
    assert load_suite("penguins").source == "default"


def test_a_dataset_id_that_is_not_a_plain_file_name_is_refused(tmp_path):
    with pytest.raises(SuiteError, match="cannot name a suite file"):
        load_suite("../etc/passwd", suites_dir=tmp_path)


@pytest.mark.parametrize("path", sorted(SUITES_DIR.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_shipped_suite_loads(path):
    suite = load_suite(path.stem)
    assert suite.source == str(path)
    assert suite.expectations


def test_loading_suites_does_not_import_great_expectations():
    code = ("import sys; import checks.suite, checks.gx_duckdb, checks.gx_pandas, checks.governance; "
            "checks.suite.load_suite('palmer-penguins'); print('great_expectations' in sys.modules)")
    root = Path(__file__).resolve().parents[2]
    output = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"


# --- columns the snapshot must have ------------------------------------------------------------------------

PENGUIN_COLUMNS = ["species", "island", "bill_length_mm", "year", "sex"]


def test_a_key_column_the_snapshot_lacks_is_an_error_naming_it_and_the_columns_there_are():
    suite = default_suite("penguins", ["speceis"])
    with pytest.raises(MissingColumnError) as error:
        check_columns_exist(suite, ["speceis"], PENGUIN_COLUMNS, "penguins-0123456789ab")
    assert str(error.value) == (
        "penguins: the catalog's key_columns names column 'speceis' (did you mean 'species'?), which snapshot "
        "penguins-0123456789ab does not have; its columns: species, island, bill_length_mm, year, sex")


def test_suite_columns_the_snapshot_lacks_are_errors_naming_the_suite_line(tmp_path):
    path = write_suite(tmp_path, EXAMPLE.replace("{column: island, regex", "{column: isle, regex") + (
        "governance:\n  pii: {exclude_columns: [contact]}\n"))
    suite = load_suite("penguins", suites_dir=tmp_path)
    with pytest.raises(MissingColumnError) as error:
        check_columns_exist(suite, ["species"], PENGUIN_COLUMNS, "penguins-0123456789ab")
    message = str(error.value)
    assert f"{path}:7 (regex:isle) names column 'isle'" in message
    assert f"{path} (governance pii exclude_columns) names column 'contact'" in message
    assert "its columns: species, island" in message


def test_expectations_about_whether_columns_exist_are_left_to_fail_as_expectations(tmp_path):
    write_suite(tmp_path, """\
expectations:
  - type: expect_column_to_exist
    kwargs: {column: ring_id}
  - type: expect_table_columns_to_match_ordered_list
    kwargs: {column_list: [species, ring_id]}
""")
    check_columns_exist(load_suite("penguins", suites_dir=tmp_path), [], PENGUIN_COLUMNS, "penguins-0123456789ab")
