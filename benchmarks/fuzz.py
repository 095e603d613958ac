"""Fuzz the ingest path: >= 10,000 seeded mutations of the fixture archives within a time budget.

Each case is ingested into a store with a per-file timeout, then the store's consistency check runs.
A case fails on any exception (a traceback), a timeout (a hang), or an inconsistent store.
Usage: python benchmarks/fuzz.py [--cases 10000] [--budget-seconds 2400] [--workers 2]
"""
from __future__ import annotations

import argparse
from dataclasses import replace
import multiprocessing
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance.config import IngestConfig  # noqa: E402
from provenance.fuzzing import as_zstd, mutate  # noqa: E402
from provenance.ingest.pipeline import ingest_into  # noqa: E402
from provenance.store import Store  # noqa: E402


def seed_files() -> list[bytes]:
    files = sorted(p for p in (ROOT / "fixtures").rglob("*") if p.is_file() and p.suffix in (".gz", ".warc", ".arc", ".wet"))
    small = [p.read_bytes() for p in files if p.stat().st_size < 400_000]
    if not small:
        sys.exit("no fixture archives found under fixtures/")
    return small + [as_zstd(data) for data in small if data[:2] == b"\x1f\x8b"][:4]  # zstd archives (a frame per record) too


def run_shard(args: tuple[int, int, float]) -> tuple[int, int, list[str], float]:
    shard, n_shards, deadline = args
    originals = seed_files()
    failures, done = [], 0
    slowest = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "fuzz-0.duckdb"))
        config = IngestConfig(db=store.path, workers=1, file_timeout=10, max_record_bytes=1 << 20)
        case = shard
        while case < CASES and time.time() < deadline:
            if done and done % CASES_PER_STORE == 0:  # the consistency check reads the whole store: keep it small
                store.close()
                store = Store(str(Path(tmp) / f"fuzz-{done}.duckdb"))
                config = replace(config, db=store.path)
            name, data = mutate(originals[case % len(originals)], seed=case)
            path = Path(tmp) / f"case{case}.warc.gz"
            path.write_bytes(data)
            t0 = time.perf_counter()
            try:
                summary = ingest_into(store, [str(path)], config)
                if any(f.kind == "timeout" for r in summary.results for f in r.faults):
                    failures.append(f"case {case} ({name}): timeout")
                bad = store.check()
                if bad:
                    failures.append(f"case {case} ({name}): inconsistent store: {bad}")
            except Exception:  # the point of a fuzzer: any exception is a finding
                failures.append(f"case {case} ({name}): {traceback.format_exc(limit=3)}")
            slowest = max(slowest, time.perf_counter() - t0)
            path.unlink()
            done += 1
            case += n_shards
        store.close()
    return shard, done, failures, slowest


CASES = 10_000
CASES_PER_STORE = 250  # then a new store: a check after each case over thousands of cases' rows slowed the run down


def main() -> None:
    global CASES
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--budget-seconds", type=float, default=2400)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    CASES = a.cases
    t0 = time.time()
    deadline = t0 + a.budget_seconds
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(a.workers) as pool:
        results = pool.map(run_shard, [(i, a.workers, deadline) for i in range(a.workers)])
    done = sum(r[1] for r in results)
    failures = [f for r in results for f in r[2]]
    elapsed = time.time() - t0
    print(f"fuzz: {done} cases in {elapsed:.0f} s ({done / elapsed:.1f} cases/s, budget {a.budget_seconds:.0f} s), "
          f"slowest case {max(r[3] for r in results):.2f} s, failures {len(failures)}")
    for f in failures[:20]:
        print("FAIL", f)
    sys.exit(1 if failures or done < a.cases else 0)


if __name__ == "__main__":
    main()
