"""The same suite run on GX's pandas engine: the baseline the DuckDB engine is measured against.

Not used by the pipeline: it loads the whole snapshot into memory (seconds and gigabytes on millions of
rows; see checks/gx_duckdb.py for the engine the pipeline uses). Kept for benchmarks and comparisons.
"""

from __future__ import annotations

import time
from pathlib import Path

from checks.gx_duckdb import SNAPSHOT_VIEW, SuiteRun, gx_expectation, new_context, validate
from checks.gx_setup import prepare_gx
from checks.suite import Suite


def run_suite_pandas(parquet_path: Path, suite: Suite, data_docs_dir: Path | None = None) -> SuiteRun:
    """Validate the Parquet snapshot against the suite with GX's pandas engine (GX's own regex support)."""
    prepare_gx()  # seconds on first use (the GX import): not part of duration_s
    started = time.perf_counter()
    data_docs_dir = Path(data_docs_dir).resolve() if data_docs_dir else None
    context = new_context(data_docs_dir)
    asset = context.data_sources.add_pandas("pandas").add_parquet_asset(SNAPSHOT_VIEW, path=Path(parquet_path))
    batch_definition = asset.add_batch_definition_whole_dataframe("whole snapshot")
    expectations = [gx_expectation(spec, suite) for spec in suite.expectations]
    runs = validate(context, {SNAPSHOT_VIEW: batch_definition}, suite, expectations, data_docs_dir, started)
    return runs[SNAPSHOT_VIEW]
