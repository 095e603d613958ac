"""Ray executor vs the local process pool, same corpus, same number of workers.

Generates the benchmark corpus (benchmarks/ingest.py `make_corpus`; never committed) and measures,
each in this process, wall time from call to return:
  * local: `provenance.ingest.pipeline.ingest` -> process pool of N workers + one DuckDB writer;
  * ray:   `provenance.scale.ingest_shards(executor="ray")` -> N Ray workers writing Parquet shards,
           on a local Ray cluster started beforehand with num_cpus=N (as an existing cluster would be).
Target: ray / local >= 0.85 at 2 workers.
The machine may be shared: --repeat N alternates the order of the two runs and reports medians.
Usage: python benchmarks/ray_ingest.py [--docs 20000] [--files 8] [--workers 2] [--kind warc|wet|both] [--repeat 1]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest import make_corpus


def run_local(paths: list[Path], workers: int, db: Path) -> dict:
    from provenance.config import IngestConfig
    from provenance.ingest.pipeline import ingest

    t0 = time.perf_counter()
    summary = ingest([str(p) for p in paths], IngestConfig(db=str(db), workers=workers))
    return {"docs": summary.documents, "seconds": time.perf_counter() - t0}


def run_ray(paths: list[Path], workers: int, out: Path) -> dict:
    from provenance.config import IngestConfig
    from provenance.scale import ingest_shards

    t0 = time.perf_counter()
    summary = ingest_shards([str(p) for p in paths], IngestConfig(workers=workers), str(out), executor="ray")
    return {"docs": summary.documents, "seconds": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--kind", choices=("warc", "wet", "both"), default="both")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    import logging

    import ray

    ray.init(num_cpus=a.workers, include_dashboard=False, logging_level=logging.WARNING)
    ray.get([ray.remote(lambda: None).remote() for _ in range(a.workers)])  # the cluster is up
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for kind in (("warc", "wet") if a.kind == "both" else (a.kind,)):
                folder = Path(tmp) / kind
                folder.mkdir()
                paths = make_corpus(folder, a.docs, a.files, kind)
                mb = sum(p.stat().st_size for p in paths) / 1e6
                print(f"\n== {kind.upper()}: {a.docs} documents in {a.files} files, {mb:.1f} MB compressed, {a.workers} workers")
                runs: dict[str, list[dict]] = {"local": [], "ray": []}
                for i in range(a.repeat):
                    order = ("local", "ray") if i % 2 == 0 else ("ray", "local")
                    for name in order:
                        target = Path(tmp) / f"{kind}-{name}-{i}"
                        runs[name].append(run_local(paths, a.workers, target.with_suffix(".duckdb")) if name == "local"
                                          else run_ray(paths, a.workers, target))
                local, ray_r = (sorted(runs[n], key=lambda r: r["seconds"])[len(runs[n]) // 2] for n in ("local", "ray"))
                assert local["docs"] == ray_r["docs"], (local, ray_r)
                lr, rr = local["docs"] / local["seconds"], ray_r["docs"] / ray_r["seconds"]
                print(f"local process pool + DuckDB writer  {lr:8.0f} docs/s  ({local['seconds']:.1f} s)")
                print(f"ray tasks -> Parquet shards         {rr:8.0f} docs/s  ({ray_r['seconds']:.1f} s)")
                print(f"ratio ray / local                   {rr / lr:8.2f}x   (target >= 0.85x)")
                print(f"ray docs/s per core                 {rr / a.workers:8.0f}")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
