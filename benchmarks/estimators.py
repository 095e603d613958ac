"""Benchmark the estimators at scale; print the figures quoted in docs/metrics.md.

  python benchmarks/estimators.py            # both parts, each in a fresh process (own peak RSS)
  python benchmarks/estimators.py tokens     # drift + tails: 10 periods x 10M tokens
  python benchmarks/estimators.py dups       # near-duplicate clustering of 1,000,000 signatures

tokens: Zipf(1.1) counts over a 500k-type vocabulary, 200 blocks of 50k tokens per period, the rare
part of the vocabulary thinning a little each period; generated at run time, written to a DuckDB
store (untimed), then `estimate_drift` and `estimate_tails` run end to end (store -> metrics rows)
with their default options. Target: drift + tails under 10 s.
The end-to-end time is split into loading (DuckDB -> arrays) and computation.
dups: 1,000,000 signatures (800k random documents, 200k near copies of them with 0-20% of the 128
positions redrawn, i.e. Jaccard ~0.8-1.0), stored with their 16 x 8 band keys; `estimate_dups` runs
end to end. datasketch's MinHashLSH (threshold 0.8) indexes and queries the same signatures on a
random 200,000-document subsample; its time is scaled linearly (x5) to 1M, which flatters it (LSH bucket
lists grow with n). Targets: < 5 minutes and peak RSS < 4 GiB on 2 cores.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from provenance.estimators import (  # noqa: E402
    DriftConfig, DupsConfig, TailsConfig, drift_from_counts, estimate_drift, estimate_dups, estimate_tails, tails_from_counts,
)
from provenance.estimators.periods import load_unit_counts, parse_by  # noqa: E402
from provenance.ingest import minhash  # noqa: E402
from provenance.store import Store  # noqa: E402

PERIODS, TOKENS, BLOCK, VOCAB = 10, 10_000_000, 50_000, 500_000
DOCS, COPIES, SUBSAMPLE = 1_000_000, 200_000, 200_000


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


NAMES = pl.Series([f"t{i}" for i in range(VOCAB)], dtype=pl.String)


def token_store(path: str) -> None:
    rng = np.random.default_rng(0)
    ranks = np.arange(1, VOCAB + 1)
    with Store(path) as store:
        for y in range(PERIODS):
            p = ranks**-1.1 * np.where(ranks > VOCAB // 10, np.exp(-0.03 * y), 1.0)
            cdf = np.cumsum(p)
            cdf /= cdf[-1]
            tok = np.searchsorted(cdf, rng.random(TOKENS))
            key, count = np.unique((np.arange(TOKENS) // BLOCK) * VOCAB + tok, return_counts=True)
            rows = pl.DataFrame({"source_id": 1, "crawl": f"CC-MAIN-{2015 + y}-10", "year": 2015 + y, "lang": "en",
                                 "block": (y << 20) + key // VOCAB, "tokenizer": "word",
                                 "token": NAMES.gather(key % VOCAB), "count": count})
            store.insert_token_counts(rows)


def bench_tokens() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "tokens.duckdb")
        t0 = time.perf_counter()
        token_store(db)
        print(f"setup: {PERIODS} periods x {TOKENS:,} tokens written in {time.perf_counter() - t0:.1f} s (untimed)")
        with Store(db) as store:
            rows = store.con.execute("SELECT count(*) FROM block_tokens").fetchone()[0]
            t0 = time.perf_counter()
            drift = estimate_drift(store, DriftConfig(baseline="2015"))
            t1 = time.perf_counter()
            tails = estimate_tails(store, TailsConfig(baseline="2015"))
            t2 = time.perf_counter()
            t3 = time.perf_counter()
            data = load_unit_counts(store, parse_by("year"), None, "word", DriftConfig(baseline="2015").max_units)
            t4 = time.perf_counter()
            drift_from_counts(data, "2015", DriftConfig(baseline="2015"))
            t5 = time.perf_counter()
            tails_from_counts(data, "2015", TailsConfig(baseline="2015"))
            t6 = time.perf_counter()
        print(f"token_counts rows: {rows:,}")
        print(f"loading counts from the store: {t4 - t3:.2f} s; computation once loaded: drift {t5 - t4:.2f} s, "
              f"tails {t6 - t5:.2f} s, total {t6 - t4:.2f} s")
        print(f"drift: {t1 - t0:.2f} s   tails: {t2 - t1:.2f} s   total: {t2 - t0:.2f} s   (target < 10 s)")
        print(f"peak RSS: {peak_rss_gib():.2f} GiB")
        last = drift.summary.row(-1, named=True)
        print(f"check: excess_jsd(2024) = {last['excess_jsd']:.2e}, tail_survival(2024) = "
              f"{tails.summary.row(-1, named=True)['tail_survival']:.4f}")


def signatures(rng: np.random.Generator) -> np.ndarray:
    sig = rng.integers(0, 2**32 - 1, size=(DOCS, minhash.NUM_PERM), dtype=np.uint32)
    src = rng.integers(0, DOCS - COPIES, COPIES)
    dst = np.arange(DOCS - COPIES, DOCS)
    sig[dst] = sig[src]
    redraw = rng.random((COPIES, minhash.NUM_PERM)) < rng.uniform(0, 0.2, (COPIES, 1))
    sig[dst] = np.where(redraw, rng.integers(0, 2**32 - 1, (COPIES, minhash.NUM_PERM), dtype=np.uint32), sig[dst])
    return sig


def dup_store(path: str, sig: np.ndarray, rng: np.random.Generator) -> None:
    n = sig.shape[0]
    doc_id = np.arange(n, dtype=np.int64)
    year = (2015 + rng.integers(0, PERIODS, n)).astype(np.int16)
    offsets = pa.array(np.arange(n + 1, dtype=np.int32) * 4 * minhash.NUM_PERM)
    blobs = pa.BinaryArray.from_buffers(pa.binary(), n, [None, offsets.buffers()[1], pa.py_buffer(sig.tobytes())])
    keys = minhash.band_keys(sig)
    with Store(path) as store:
        con = store.con
        for name, tbl, sql in [
            ("_d", pa.table({"doc_id": doc_id, "year": year, "block": doc_id // 100, "h": rng.integers(0, 2**62, n)}),
             "INSERT INTO documents (doc_id, source_id, year, crawl, lang, text_hash, block, url) SELECT doc_id, 1, year, "
             "'CC-MAIN-' || year || '-10', 'en', h, block, 'https://example.org/' || doc_id FROM _d"),
            ("_s", pa.table({"doc_id": doc_id, "minhash": blobs}), "INSERT INTO signatures SELECT * FROM _s"),
            ("_k", pa.table({"doc_id": np.repeat(doc_id, minhash.BANDS), "band": np.tile(np.arange(minhash.BANDS, dtype=np.uint8), n),
                             "key": keys.reshape(-1)}), "INSERT INTO band_keys SELECT * FROM _k"),
        ]:
            con.register(name, tbl)
            con.execute(sql)
            con.unregister(name)


def bench_datasketch(sig: np.ndarray) -> tuple[float, int]:
    from datasketch import LeanMinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=minhash.NUM_PERM)
    pick = np.sort(np.random.default_rng(2).choice(sig.shape[0], SUBSAMPLE, replace=False))
    sub = sig[pick].astype(np.uint64)  # a random subsample: originals and copies alike
    t0 = time.perf_counter()
    hashes = [LeanMinHash(seed=1, hashvalues=row, scheme="legacy") for row in sub]
    with lsh.insertion_session() as session:
        for i, m in enumerate(hashes):
            session.insert(i, m)
    pairs = sum(len(lsh.query(m)) - 1 for m in hashes)
    print(f"datasketch MinHashLSH bands x rows for threshold 0.8: {lsh.b} x {lsh.r}")
    return time.perf_counter() - t0, pairs // 2


def bench_dups() -> None:
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "dups.duckdb")
        t0 = time.perf_counter()
        sig = signatures(rng)
        dup_store(db, sig, rng)
        print(f"setup: {DOCS:,} signatures + band keys written in {time.perf_counter() - t0:.1f} s (untimed)")
        ds_seconds, ds_pairs = bench_datasketch(sig)
        del sig
        rss_before = peak_rss_gib()
        with Store(db) as store:
            t0 = time.perf_counter()
            est = estimate_dups(store, DupsConfig(replicates=200))
            seconds = time.perf_counter() - t0
            clustered = store.con.execute("SELECT count(*), count(DISTINCT cluster_id) FROM dup_clusters").fetchone()
    scaled = ds_seconds * DOCS / SUBSAMPLE
    print(f"provenance dups (end to end, 1M docs): {seconds:.1f} s   (target < 300 s)")
    print(f"documents in clusters: {clustered[0]:,} in {clustered[1]:,} clusters (planted copies: {COPIES:,})")
    print(f"datasketch MinHashLSH on {SUBSAMPLE:,} docs: {ds_seconds:.1f} s ({ds_pairs:,} candidate pairs, unverified); "
          f"scaled x{DOCS // SUBSAMPLE} to 1M: {scaled:.0f} s; ratio datasketch/provenance: {scaled / seconds:.1f}x")
    print(f"peak RSS: {peak_rss_gib():.2f} GiB (before the estimator: {rss_before:.2f} GiB, incl. generation "
          "and datasketch)   (target < 4 GiB)")
    print(est.summary.head(3))


def main() -> None:
    part = sys.argv[1] if len(sys.argv) > 1 else "all"
    if part == "tokens":
        bench_tokens()
    elif part == "dups":
        bench_dups()
    else:
        for p in ("tokens", "dups"):
            print(f"== {p} ==", flush=True)
            subprocess.run([sys.executable, __file__, p], check=True)


if __name__ == "__main__":
    main()
