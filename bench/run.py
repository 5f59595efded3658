"""Benchmark: the governed path against bare DuckDB on one synthetic JSONL text corpus.

    uv run python bench/run.py --size 1GB        # or --rows N; --repeat 3 keeps the best of 3; --keep
    uv run python bench/run.py --size 1GB --files 8   # the same corpus as 8 files named by a glob
    uv run python bench/run.py --sizes 1GB,5GB --skip-pandas   # both, and the seconds per further GB

Stages, each in its own process (wall time from spawn to exit, peak RSS of that process alone):
  (a) baseline   bare DuckDB: COPY read_json -> Parquet, then one SQL scan computing the 4 checks
  (b) pipeline   the project's refresh_dataset job minus publish: ingest, hash, provenance, Parquet snapshot,
                 DuckDB registration, the GX suite on DuckDB and the governance checks
  (c) gx pandas  the same GX suite on GX's pandas engine, over (b)'s snapshot
  (d) no-op      the nightly again on the unchanged input: the schedule's tick finds nothing new, launches no run
  (e) forced     (b) launched again anyway on the unchanged input (a steward's manual run): the snapshot and
                 its check outcomes are reused
(b) is launched as the nightly launches it: the schedule's tick requests the run, which then executes.
Prints a table, then one JSON line (last) with the headline figures."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

if __package__ in (None, ""):  # `python bench/run.py` puts bench/ on the path, not the project root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import generate_corpus, parse_size, rows_for_size
from bench.measure import StageRun, run_stage
from bench.workload import DATASET_ID, write_workspace


@dataclass
class Results:
    rows: int
    input_bytes: int
    generate_s: float
    baseline: StageRun
    pipeline: StageRun
    pipeline_peak_rss_mb: float  # the highest over the repeats: memory is a bound, not a best case
    gx_pandas: StageRun | None
    noop: StageRun
    forced: StageRun
    files: int = 1

    def summary(self) -> dict:
        checks_s = self.pipeline.report.get("suite_s")
        return {
            "rows": self.rows,
            "input_bytes": self.input_bytes,
            "files": self.files,
            "baseline_s": round(self.baseline.wall_s, 2),
            "pipeline_s": round(self.pipeline.wall_s, 2),
            "ratio": round(self.pipeline.wall_s / self.baseline.wall_s, 2),
            "checks_s": checks_s,
            "gx_pandas_s": round(self.gx_pandas.report["suite_s"], 2) if self.gx_pandas else None,
            "peak_rss_mb": round(self.pipeline_peak_rss_mb),
            "noop_rerun_s": round(self.noop.wall_s, 2),
            "noop_tick_s": round(self.noop.report["tick_s"], 3),
            "forced_rerun_s": round(self.forced.wall_s, 2),
        }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs, problems = [], []
    for size in args.sizes or [args.size]:
        root = Path(tempfile.mkdtemp(prefix="bench-", dir=args.workdir))
        try:
            results = run_benchmark(root, argparse.Namespace(**{**vars(args), "size": size}))
        finally:
            if args.keep:
                print(f"kept {root}", file=sys.stderr)
            else:
                shutil.rmtree(root, ignore_errors=True)
        print(format_table(results))
        problems += consistency_problems(results)
        runs.append(results.summary())
    for problem in problems:
        print(f"WARNING: {problem}")
    print(json.dumps(runs[0] if len(runs) == 1 else {"sizes": runs, **slopes(runs)}))
    return 1 if problems else 0


def slopes(runs: list[dict]) -> dict:
    """Seconds per further GB, from the smallest and the largest size measured in this invocation: what a
    steward with bigger datasets pays beyond the fixed costs."""
    small, large = min(runs, key=lambda run: run["input_bytes"]), max(runs, key=lambda run: run["input_bytes"])
    gigabytes = (large["input_bytes"] - small["input_bytes"]) / 1e9
    pipeline = (large["pipeline_s"] - small["pipeline_s"]) / gigabytes
    baseline = (large["baseline_s"] - small["baseline_s"]) / gigabytes
    return {"pipeline_s_per_gb": round(pipeline, 2), "baseline_s_per_gb": round(baseline, 2),
            "slope_ratio": round(pipeline / baseline, 2)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--size", type=parse_size, help="approximate size of the generated JSONL, e.g. 200MB, 1GB")
    size.add_argument("--rows", type=int, help="number of documents to generate")
    size.add_argument("--sizes", type=lambda text: [parse_size(part) for part in text.split(",")],
                      help="several sizes in one invocation, e.g. 1GB,5GB: adds the seconds per further GB")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run (a), (b) and (d) this many times and keep the fastest of each (default 1)")
    parser.add_argument("--skip-pandas", action="store_true", help="leave out stage (c), the slowest")
    parser.add_argument("--files", type=int, default=1,
                        help="cut the corpus into this many files, which the catalog names by a glob (default 1)")
    parser.add_argument("--workdir", help="where the temporary files go (default: the system temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files for debugging")
    return parser.parse_args(argv)


def run_benchmark(root: Path, args: argparse.Namespace) -> Results:
    corpus = root / "source" / "corpus.jsonl"
    corpus.parent.mkdir()
    started = time.perf_counter()
    rows = args.rows or rows_for_size(args.size)
    generate_corpus(corpus, rows)
    generate_s = time.perf_counter() - started
    input_bytes = corpus.stat().st_size
    log(f"generated {rows:,} rows, {input_bytes / 1e6:,.0f} MB in {generate_s:.1f} s")
    if args.files > 1:  # a source of several files: the pipeline reads them by a glob, as one split
        corpus = split_corpus(corpus, args.files)
        log(f"split into {args.files} files {corpus.name}")
    baselines, pipelines, noops, forced = [], [], [], []
    for attempt in range(args.repeat):
        baselines.append(run_stage("bench.baseline", [str(corpus), str(root / f"baseline-{attempt}.parquet")]))
        log(f"(a) baseline {baselines[-1].wall_s:.2f} s")
        env = write_workspace(root / f"pipeline-{attempt}", corpus)
        pipelines.append(pipeline_stage("nightly", env))
        log(f"(b) pipeline {pipelines[-1].wall_s:.2f} s")
        noops.append(pipeline_stage("nightly", env))
        log(f"(d) no-op nightly {noops[-1].wall_s:.2f} s (tick {noops[-1].report['tick_s']:.3f} s)")
        forced.append(pipeline_stage("forced", env))
        log(f"(e) forced rerun {forced[-1].wall_s:.2f} s")
        (root / f"baseline-{attempt}.parquet").unlink()
    pipeline = fastest(pipelines)
    skip_pandas = args.skip_pandas or "parquet_uri" not in pipeline.report  # no snapshot: reported below
    gx_pandas = None if skip_pandas else run_gx_pandas(pipeline, root)
    return Results(rows, input_bytes, generate_s, fastest(baselines), pipeline,
                   max(p.peak_rss_mb for p in pipelines), gx_pandas, fastest(noops), fastest(forced), args.files)


def split_corpus(corpus: Path, files: int) -> Path:
    """The corpus cut into `files` JSONL files of about equal size, on line boundaries; returns their glob."""
    target = corpus.stat().st_size // files + 1
    with corpus.open("rb") as source:
        for index in range(files):
            with (corpus.parent / f"corpus-{index:05d}.jsonl").open("wb") as part:
                written = 0
                for line in source:
                    part.write(line)
                    written += len(line)
                    if written >= target and index < files - 1:
                        break
    corpus.unlink()
    return corpus.parent / "corpus-*.jsonl"


def pipeline_stage(launch: str, env: dict[str, str]) -> StageRun:
    """A pipeline stage; its peak RSS is its process tree's (the GX worker beside the run counts)."""
    run = run_stage("bench.pipeline", [DATASET_ID, launch], env)
    return dataclasses.replace(run, peak_rss_mb=max(run.peak_rss_mb, run.report.get("peak_rss_mb", 0)))


def run_gx_pandas(pipeline: StageRun, root: Path) -> StageRun:
    snapshot = Path(unquote(urlparse(pipeline.report["parquet_uri"]).path))
    run = run_stage("bench.gx_pandas", [str(snapshot), str(root / "pipeline-0" / "suites"), str(root / "docs")])
    log(f"(c) GX pandas suite {run.report['suite_s']:.2f} s")
    return run


def fastest(runs: list[StageRun]) -> StageRun:
    return min(runs, key=lambda run: run.wall_s)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def format_table(results: Results) -> str:
    base, pipe, pandas = results.baseline.report, results.pipeline.report, results.gx_pandas
    noop = results.noop.report
    rows = [
        ("(a) baseline: DuckDB COPY + 1 SQL scan", results.baseline,
         f"COPY {base['convert_s']:.2f} s, checks {base['checks_s']:.2f} s"),
        ("(b) pipeline (publish excluded)", results.pipeline, stage_notes(pipe)),
        ("(c) GX suite on pandas", pandas, f"suite {pandas.report['suite_s']:.2f} s (GX import excluded)"
         if pandas else "skipped"),
        ("(d) no-op nightly on unchanged input", results.noop,
         f"imports {noop['imports_s']:.2f} s, schedule tick {noop['tick_s']:.3f} s, runs launched {noop['runs']}"),
        ("(e) forced rerun of (b)", results.forced, stage_notes(results.forced.report)),
    ]
    header = f"{results.rows:,} rows, {results.input_bytes / 1e6:,.0f} MB of JSONL (generated in " \
             f"{results.generate_s:.1f} s)"
    lines = [header, f"{'stage':40} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12}  notes"]
    for name, run, notes in rows:
        figures = f"{run.wall_s:8.2f} {run.cpu_s:8.2f} {run.peak_rss_mb:12.0f}" if run else f"{'-':>8} {'-':>8} {'-':>12}"
        lines.append(f"{name:40} {figures}  {notes}")
    return "\n".join(lines)


def stage_notes(report: dict) -> str:
    """Where a pipeline run's time and memory went: step seconds / step peak RSS MB."""
    peaks = report.get("steps_peak_rss_mb", {})
    steps = ", ".join(f"{key} {seconds:.2f} s/{peaks.get(key, 0):.0f} MB"
                      for key, seconds in report.get("steps_s", {}).items())
    return (f"imports {report['imports_s']:.2f} s, job {report['job_s']:.2f} s [{steps}], "
            f"GX suite {report.get('suite_s')} s, governance checks {report.get('governance_s')} s, "
            f"snapshot: {report.get('snapshot_status') or '-'}")


def consistency_problems(results: Results) -> list[str]:
    """Every stage must have read every row and found the corpus clean, or the timings compare nothing."""
    problems = []
    if results.noop.report.get("runs") != 0:
        problems.append("the nightly on unchanged input launched a run")
    for name, report in (("baseline", results.baseline.report), ("pipeline", results.pipeline.report)):
        if report.get("rows") != results.rows:
            problems.append(f"{name} saw {report.get('rows')} rows, {results.rows} were generated")
    for name, report in (("baseline", results.baseline.report), ("pipeline", results.pipeline.report),
                         ("gx pandas", results.gx_pandas.report if results.gx_pandas else {"checks_passed": True})):
        if not report.get("checks_passed"):
            problems.append(f"{name}: the checks did not pass on the clean corpus")
    if not results.pipeline.report.get("success"):
        problems.append("the pipeline run did not succeed (see its Dagster output with --keep)")
    return problems


if __name__ == "__main__":
    sys.exit(main())
