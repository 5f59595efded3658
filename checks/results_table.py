"""One row per check outcome as Dagster table metadata: the UI shows it inline on the check's evaluation, and its
cells are plain text, so masked sample values (`j***@e***.org`) are never read as markdown emphasis. A snapshot of
several splits has one row per check and split, with a `split` column first."""

import dagster as dg

from checks.governance import GOVERNANCE
from checks.gx_duckdb import SAMPLE_SIZE, ExpectationOutcome

MAX_CELL = 120  # characters of one value in the results table

RESULTS_SCHEMA = dg.TableSchema(columns=[
    dg.TableColumn("expectation", description="The check's name: a Great Expectations expectation or a "
                                              "governance check"),
    dg.TableColumn("kind", description="Great Expectations (the dataset's suite) or governance"),
    dg.TableColumn("column", description="The column checked, empty for a check on the whole table"),
    dg.TableColumn("severity", description="ERROR blocks publication; WARN only shows"),
    dg.TableColumn("passed", "bool"),
    dg.TableColumn("observed value"),
    dg.TableColumn("unexpected", description="Values that failed the check: count (percent of rows)"),
    dg.TableColumn("sample values (masked)", description=f"Up to {SAMPLE_SIZE} failing values, personal data "
                                                         "masked"),
])


SPLIT_COLUMN = dg.TableColumn("split", description="The snapshot split checked (its own Parquet file)")
RESULTS_BY_SPLIT_SCHEMA = dg.TableSchema(columns=[SPLIT_COLUMN, *RESULTS_SCHEMA.columns])


def results_table(outcomes: list[ExpectationOutcome], by_split: bool = False) -> dg.TableMetadataValue:
    """The outcomes in their order; `by_split` adds the split column (a snapshot of several splits)."""
    return dg.MetadataValue.table(records=[_record(o, by_split) for o in outcomes],
                                  schema=RESULTS_BY_SPLIT_SCHEMA if by_split else RESULTS_SCHEMA)


def _record(outcome: ExpectationOutcome, by_split: bool) -> dg.TableRecord:
    observed = outcome.observed.get("observed_value", outcome.observed.get("error", _values(outcome.observed)))
    return dg.TableRecord({
        **({"split": outcome.split or ""} if by_split else {}),
        "expectation": outcome.name,
        "kind": "governance" if outcome.expectation_type == GOVERNANCE else "Great Expectations",
        "column": outcome.column or "",
        "severity": outcome.severity,
        "passed": outcome.passed,
        "observed value": _cell(observed),
        "unexpected": _unexpected(outcome.observed),
        "sample values (masked)": _cell(", ".join(str(v)[:40] for v in outcome.sample_values[:SAMPLE_SIZE])),
    })


def _values(observed: dict) -> str:
    """What a GX column expectation looked at, when it reports no single observed value."""
    if "element_count" not in observed:
        return ""
    return f"{observed['element_count']} values, {observed.get('missing_count') or 0} null"


def _unexpected(observed: dict) -> str:
    count, percent = observed.get("unexpected_count"), observed.get("unexpected_percent")
    if count is None:
        return ""
    return f"{count} ({percent:.2f}%)" if isinstance(percent, (int, float)) else str(count)


def _cell(value: object) -> str:
    """One line of at most MAX_CELL characters, so a long value does not stretch the table."""
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"
