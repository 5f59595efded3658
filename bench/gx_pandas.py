"""Stage (c), the naive peer: the same suite on GX's pandas engine, over the pipeline's Parquet snapshot.

    python -m bench.gx_pandas <snapshot.parquet> <suites dir> <data docs dir>"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bench.measure import emit
from bench.workload import DATASET_ID


def main(parquet: str, suites_dir: str, data_docs_dir: str) -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    started = time.perf_counter()
    from checks.gx_pandas import run_suite_pandas
    from checks.suite import load_suite

    suite = load_suite(DATASET_ID, suites_dir=Path(suites_dir))
    run = run_suite_pandas(Path(parquet), suite, data_docs_dir=Path(data_docs_dir))
    emit({
        "suite_s": run.duration_s,  # like the pipeline's check: the GX import is not counted
        "total_s": time.perf_counter() - started,
        "checks_passed": run.success,
        "expectations": len(run.outcomes),
    })
    sys.stdout.flush()
    os._exit(0)  # skip teardown: GX's caches hold DuckDB objects and the bindings print "leaked" warnings


if __name__ == "__main__":
    main(*sys.argv[1:4])
