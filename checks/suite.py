"""Expectation suites: one declarative YAML file per dataset, `checks/suites/<dataset_id>.yaml`.

The format is documented in `checks/suites/README.md`. A dataset without a file gets the default suite
(row count >= 1; its key columns not null and unique) and the default governance settings; a file with only
a `governance:` section keeps the default expectations.

This module never imports Great Expectations (seconds to import): loading a suite must stay cheap, since
Dagster loads suites while building its definitions. Expectation types are checked against the names of
the modules GX ships for its expectations, found on disk without importing the package.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from checks.governance_config import CHECK_NAMES as GOVERNANCE_CHECKS
from checks.governance_config import SEVERITIES, GovernanceConfig, GovernanceConfigError, parse_governance

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SUITES_DIR_VARIABLE = "CHECK_SUITES_DIR"  # another folder of suite files, e.g. a deployment's own
SUITE_FIELDS = {"expectations", "governance"}
EXPECTATION_FIELDS = {"type", "kwargs", "severity", "name"}
DATASET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CHECK_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:,.-]*$")

# GX has no regex support for DuckDB: checks/gx_duckdb.py runs these with DuckDB's own regexp_matches.
REGEX_TYPES = {
    "expect_column_values_to_match_regex": "regex",
    "expect_column_values_to_not_match_regex": "not_regex",
}
# Measured with GX 1.24.1, duckdb 2.0, duckdb-engine 0.17: these fail on every run, so refuse them up front.
_NO_SQL_METRIC = "GX has no SQL implementation of its metric"
UNSUPPORTED_ON_DUCKDB = {
    **dict.fromkeys([
        "expect_column_values_to_match_like_pattern", "expect_column_values_to_not_match_like_pattern",
        "expect_column_values_to_match_like_pattern_list", "expect_column_values_to_not_match_like_pattern_list",
    ], "GX has no LIKE support for DuckDB; use expect_column_values_to_match_regex"),
    **dict.fromkeys([
        "expect_column_values_to_match_regex_list", "expect_column_values_to_not_match_regex_list",
    ], "GX has no regex support for DuckDB; use one expect_column_values_to_match_regex with alternatives"),
    **dict.fromkeys([
        "expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list",
    ], "GX cannot reflect DuckDB column types (SQLAlchemy's PostgreSQL inspector queries pg_collation)"),
    **dict.fromkeys([
        "expect_column_values_to_be_increasing", "expect_column_values_to_be_decreasing",
        "expect_column_values_to_be_dateutil_parseable", "expect_column_values_to_match_strftime_format",
        "expect_column_values_to_be_json_parseable", "expect_column_values_to_match_json_schema",
    ], _NO_SQL_METRIC),
}
# Readable prefixes for the common checks; other types use their name without "expect_".
SHORT_NAMES = {
    "expect_table_row_count_to_be_between": "row_count",
    "expect_table_row_count_to_equal": "row_count",
    "expect_column_values_to_not_be_null": "not_null",
    "expect_column_values_to_be_unique": "unique",
    "expect_compound_columns_to_be_unique": "unique",
    "expect_column_values_to_be_in_set": "in_set",
    "expect_column_values_to_be_between": "between",
    **REGEX_TYPES,
}


class SuiteError(ValueError):
    """A suite file is malformed, or names an expectation GX does not have."""


class MissingColumnError(ValueError):
    """The catalog's key_columns or the dataset's suite name a column the snapshot does not have."""


@dataclass(frozen=True)
class ExpectationSpec:
    type: str  # GX expectation type in snake_case, e.g. "expect_column_values_to_not_be_null"
    kwargs: dict[str, Any] = field(default_factory=dict)
    severity: str = "ERROR"  # ERROR blocks publication; WARN is only shown
    custom_name: str | None = None  # the YAML's optional `name:`, replacing the derived name
    line: int | None = field(default=None, compare=False)  # line in the suite file, for error messages

    @property
    def name(self) -> str:
        """Stable readable check name, e.g. "not_null:species", "row_count", "regex:island"."""
        if self.custom_name:
            return self.custom_name
        prefix = SHORT_NAMES.get(self.type, self.type.removeprefix("expect_"))
        columns = self.columns
        return f"{prefix}:{','.join(columns)}" if columns else prefix

    @property
    def column(self) -> str | None:
        """The single column the expectation is about, if it is about one."""
        column = self.kwargs.get("column")
        return column if isinstance(column, str) else None

    @property
    def columns(self) -> list[str]:
        """Every column the expectation names (column, column_A/column_B or column_list)."""
        if self.column:
            return [self.column]
        pair = [self.kwargs[key] for key in ("column_A", "column_B") if isinstance(self.kwargs.get(key), str)]
        listed = self.kwargs.get("column_list")
        return pair or ([str(c) for c in listed] if isinstance(listed, list) else [])


@dataclass(frozen=True)
class Suite:
    dataset_id: str
    expectations: tuple[ExpectationSpec, ...]
    source: str  # path of the YAML file, or "default"
    governance: GovernanceConfig = field(default_factory=GovernanceConfig)

    def where(self, spec: ExpectationSpec) -> str:
        """Where a spec is declared, for error messages: "path:line (name)"."""
        line = f":{spec.line}" if spec.line else ""
        return f"{self.source}{line} ({spec.name})"


def load_suite(dataset_id: str, key_columns: Sequence[str] = (), suites_dir: Path | None = None) -> Suite:
    """The dataset's suite from `<suites_dir>/<dataset_id>.yaml`, or the default suite if there is no file.
    Without `suites_dir`: the folder named by $CHECK_SUITES_DIR, else checks/suites/."""
    if not DATASET_ID.match(dataset_id):
        raise SuiteError(f"dataset id {dataset_id!r} cannot name a suite file (letters, digits, '.', '_', '-')")
    path = Path(suites_dir or os.environ.get(SUITES_DIR_VARIABLE) or SUITES_DIR) / f"{dataset_id}.yaml"
    if not path.is_file():
        return default_suite(dataset_id, key_columns)
    return parse_suite(dataset_id, path.read_text(encoding="utf-8"), str(path), key_columns)


def default_suite(dataset_id: str, key_columns: Sequence[str] = ()) -> Suite:
    """At least one row; every key column present; the key (one column or several together) unique."""
    keys = list(key_columns)
    specs = [ExpectationSpec("expect_table_row_count_to_be_between", {"min_value": 1})]
    specs += [ExpectationSpec("expect_column_values_to_not_be_null", {"column": key}) for key in keys]
    if len(keys) == 1:
        specs.append(ExpectationSpec("expect_column_values_to_be_unique", {"column": keys[0]}))
    elif keys:
        specs.append(ExpectationSpec("expect_compound_columns_to_be_unique", {"column_list": keys}))
    return Suite(dataset_id, tuple(specs), "default")


def parse_suite(dataset_id: str, text: str, source: str, key_columns: Sequence[str] = ()) -> Suite:
    """Parse and check a suite's YAML text; `source` names it in errors. Without `expectations:` the
    default suite's expectations (from `key_columns`) apply."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise SuiteError(_yaml_error_message(error, source)) from None
    if not isinstance(data, dict):
        raise SuiteError(f"{source}: a suite is a mapping with an `expectations:` list")
    _reject_unknown_fields(data, SUITE_FIELDS, source)
    try:
        governance = parse_governance(data.get("governance"), _key_lines(root, "governance"), source)
    except GovernanceConfigError as error:
        raise SuiteError(str(error)) from None
    if "expectations" not in data and "governance" in data:
        return Suite(dataset_id, default_suite(dataset_id, key_columns).expectations, source, governance)
    items = data.get("expectations")
    if not isinstance(items, list) or not items:
        raise SuiteError(f"{source}: `expectations:` must be a non-empty list")
    lines = _item_lines(root)
    specs = tuple(_spec(item, f"{source}:{line}", line) for item, line in zip(items, lines, strict=True))
    _reject_duplicate_names(specs, source)
    return Suite(dataset_id, specs, source, governance)


def _yaml_error_message(error: yaml.YAMLError, source: str) -> str:
    mark, context_mark = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
    where = f"{source}:{mark.line + 1}" if mark else source
    message = f"{where}: not valid YAML: {getattr(error, 'problem', None) or error}"
    if getattr(error, "context", None) and context_mark:
        message += f" ({error.context} at line {context_mark.line + 1})"
    return message


def _key_lines(root: yaml.Node, section: str) -> dict[str, int]:
    """1-based line of each key of a top-level mapping section, e.g. each check under `governance:`."""
    for key, value in root.value:
        if key.value == section and isinstance(value, yaml.MappingNode):
            return {item_key.value: item_key.start_mark.line + 1 for item_key, _ in value.value}
    return {}


def _item_lines(root: yaml.Node) -> list[int]:
    """1-based line of each item of the `expectations:` list (the YAML text is known to be a mapping)."""
    for key, value in root.value:
        if key.value == "expectations":
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _spec(item: object, where: str, line: int) -> ExpectationSpec:
    if not isinstance(item, dict):
        raise SuiteError(f"{where}: each expectation is a mapping with `type:` and `kwargs:`")
    _reject_unknown_fields(item, EXPECTATION_FIELDS, where)
    kind = expectation_type(item.get("type"), where)
    kwargs = item.get("kwargs") or {}
    if not isinstance(kwargs, dict) or not all(isinstance(key, str) for key in kwargs):
        raise SuiteError(f"{where}: `kwargs:` must be a mapping of argument names to values")
    severity = str(item.get("severity", "ERROR")).upper()
    if severity not in SEVERITIES:
        raise SuiteError(f"{where}: `severity:` must be ERROR or WARN, not {item.get('severity')!r}")
    name = item.get("name")
    if name is not None and not (isinstance(name, str) and CHECK_NAME.match(name)):
        raise SuiteError(f"{where}: `name:` must be a short identifier such as regex:island_code")
    if kind in REGEX_TYPES:
        _check_regex(kwargs, where)
    return ExpectationSpec(kind, kwargs, severity, name, line)


def check_columns_exist(suite: Suite, key_columns: Sequence[str], columns: Sequence[str], snapshot_id: str,
                        split: str | None = None) -> None:
    """Every column the catalog's key_columns and the suite name (expectations, the PII check's excluded columns)
    is one of the snapshot's (or its `split`'s) `columns`; else MissingColumnError naming each missing column,
    where it is named, the split, and the columns there are. Expectations that test whether columns exist
    (expect_column_to_exist, the table-level column set and list) are left to fail as expectations."""
    named = [("the catalog's key_columns", column) for column in key_columns]
    if suite.source != "default":  # the default suite's columns are the key columns
        named += [(suite.where(spec), column) for spec in suite.expectations
                  if spec.type != "expect_column_to_exist" and not spec.type.startswith("expect_table_")
                  for column in spec.columns]
        named += [(f"{suite.source} (governance pii exclude_columns)", column)
                  for column in suite.governance.pii.exclude_columns]
    missing = [(where, column) for where, column in named if column not in columns]
    if not missing:
        return
    problems = []
    for where, column in missing:
        close = difflib.get_close_matches(column, columns, n=1)
        problems.append(f"{where} names column {column!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    where = f"split {split!r} of snapshot {snapshot_id}" if split else f"snapshot {snapshot_id}"
    raise MissingColumnError(f"{suite.dataset_id}: {'; '.join(problems)}, which {where} does not have; "
                             f"its columns: {', '.join(columns)}")


def expectation_type(value: object, where: str) -> str:
    """The snake_case GX type for a YAML `type:` given as a snake_case name or a class name."""
    if not isinstance(value, str) or not value:
        raise SuiteError(f"{where}: `type:` must name a GX expectation, e.g. expect_column_values_to_not_be_null")
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", value).lower()
    known = known_expectation_types()
    if snake not in known:
        close = difflib.get_close_matches(snake, known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise SuiteError(f"{where}: unknown expectation type {value!r}{hint}")
    if snake in UNSUPPORTED_ON_DUCKDB:
        raise SuiteError(f"{where}: {snake} does not run on DuckDB: {UNSUPPORTED_ON_DUCKDB[snake]}")
    return snake


@functools.cache
def known_expectation_types() -> frozenset[str]:
    """GX's built-in expectation types: the modules great_expectations/expectations/core/__init__.py imports."""
    spec = importlib.util.find_spec("great_expectations")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise SuiteError("great_expectations is not installed: cannot check expectation types")
    core = Path(next(iter(spec.submodule_search_locations))) / "expectations" / "core" / "__init__.py"
    return frozenset(re.findall(r"^from \.(\w+) import", core.read_text(encoding="utf-8"), re.MULTILINE))


def _check_regex(kwargs: dict, where: str) -> None:
    """Catch a malformed regex at load time (DuckDB runs RE2, close to Python's syntax for common patterns)."""
    regex = kwargs.get("regex")
    if not isinstance(regex, str):
        raise SuiteError(f"{where}: a regex expectation needs `regex:` (a string) in its kwargs")
    try:
        re.compile(regex)
    except re.error as error:
        raise SuiteError(f"{where}: invalid regex {regex!r}: {error}") from None


def _reject_unknown_fields(mapping: dict, allowed: Iterable[str], where: str) -> None:
    unknown = sorted(str(key) for key in mapping if key not in allowed)
    if unknown:
        raise SuiteError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _reject_duplicate_names(specs: Sequence[ExpectationSpec], source: str) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.name in GOVERNANCE_CHECKS:  # results of both kinds share one table, keyed by name
            raise SuiteError(f"{source}:{spec.line}: {spec.name!r} is the name of a governance check; "
                             "give the expectation another `name:`")
        if spec.name in seen:
            raise SuiteError(f"{source}:{spec.line}: a second check named {spec.name!r}; "
                             "give one of them a distinct `name:`")
        seen.add(spec.name)
