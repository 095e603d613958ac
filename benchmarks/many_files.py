"""Ingest of many small files: group commit against one commit per file, on the same input, in one process.

A crawler's output, a sample split per host, or WACZ pages come as thousands of small files, where
the writer's cost per commit (a DuckDB statement per table and the COMMIT, whatever the rows)
bounds the run, not the pages. Generates (never commits) FILES files of PAGES ~6 KB pages each
(benchmarks/ingest.py's pages), then ingests them into a new store with the files that finish
while the writer is busy committed together (the default, provenance/ingest/commit.py), and with
one commit per file (GROUP_MAX_FILES = 1: the baseline), in alternating rounds; the fastest of each
is reported, with the writer's CPU per file (this process: the workers are processes of their own).
Usage: python benchmarks/many_files.py [--files 2000] [--pages 10] [--workers 2] [--repeat 2]
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import make_corpus  # noqa: E402
from provenance.config import IngestConfig  # noqa: E402
from provenance.ingest import commit  # noqa: E402
from provenance.ingest.pipeline import ingest  # noqa: E402


def _run(folder: Path, db: Path, workers: int, group_max: int) -> tuple[float, float, int, int]:
    """(seconds, writer CPU-seconds, files, documents) of one ingest into a new store."""
    commit.GROUP_MAX_FILES = group_max
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    summary = ingest([str(folder)], IngestConfig(db=str(db), workers=workers))
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
    assert summary.ingested == summary.files and not summary.errors, summary.to_dict()
    return seconds, cpu, summary.files, summary.documents


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    default_max = commit.GROUP_MAX_FILES
    with tempfile.TemporaryDirectory(prefix="provenance-many-") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        make_corpus(folder, args.files * args.pages, args.files, "warc")
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(f"input: {args.files:,} files of {args.pages} pages ({size / 1e6:.1f} MB), {args.workers} workers")
        best: dict[str, tuple[float, float, int, int]] = {}
        for r in range(args.repeat):
            for name, group_max in (("group commit", default_max), ("a commit per file", 1)):
                out = _run(folder, Path(tmp) / f"{r}-{group_max}.duckdb", args.workers, group_max)
                if name not in best or out[0] < best[name][0]:
                    best[name] = out
        for name, (seconds, cpu, files, docs) in best.items():
            print(f"{name:18s} {seconds:7.2f} s  {files / seconds:7.1f} files/s  {docs / seconds:8.1f} docs/s  "
                  f"writer {cpu / files * 1000:5.2f} ms CPU per file")
        ratio = best["a commit per file"][0] / best["group commit"][0]
        print(f"group commit / a commit per file: {ratio:.2f}x the docs/s")


if __name__ == "__main__":
    main()
