"""The writer's cost of adding a file's tokens to the token dictionary, as the dictionary grows.

  * baseline: each file's commit inserts its new tokens with an anti-join against the whole
    dictionary (provenance before schema 0010), a scan that grows with the store;
  * provenance (provenance/ingest/dictionary.py): the same while the dictionary holds under 3 million
    entries; past that each commit appends the file's tokens to `tokens_pending` unchecked, merged
    into `token_dict` when they are many (a quarter of the dictionary, at least 2 million rows), and
    once at the end of the run (included in the figure).

Both run in one process on one DuckDB file (one DuckDB thread, as the ingest's writer), against a
dictionary of --dict-rows random token ids, on the same --files files of --file-rows distinct tokens
each, --new-share of them not yet in the dictionary (the rest drawn from it, as a crawl file's
frequent words are). Each figure is the wall time of the commits of all files.
Usage: python benchmarks/token_dictionary.py [--dict-rows 1000000,2900000,3000000,5000000,20000000] [--files 20] [--file-rows 50000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from provenance.ingest import dictionary  # noqa: E402
from provenance.store import Store  # noqa: E402

BASELINE_LOAD = """INSERT INTO tokens_before BY NAME SELECT p.tokenizer, p.token_id, p.token FROM _parts AS p
ANTI JOIN tokens_before AS t ON t.tokenizer = p.tokenizer AND t.token_id = p.token_id"""


def _table(ids: np.ndarray) -> pa.Table:
    return pa.table({"tokenizer": pa.array(["word"] * len(ids)), "token_id": pa.array(ids, pa.uint64()),
                     "token": pa.array([f"t{i:x}" for i in ids.tolist()])})


def _fill(store: Store, table: str, ids: np.ndarray) -> None:
    for start in range(0, len(ids), 1_000_000):
        store.con.register("_fill", _table(ids[start : start + 1_000_000]))
        store.con.execute(f"INSERT INTO {table} SELECT * FROM _fill")
        store.con.unregister("_fill")
    store.con.execute("CHECKPOINT")


def run(n_dict: int, files: int, file_rows: int, new_share: float, seed: int = 1) -> tuple[float, float, int]:
    rng = np.random.default_rng(seed)
    known = np.unique(rng.integers(1, 2**63, n_dict, dtype=np.uint64))
    parts = []
    for _ in range(files):
        n_new = int(file_rows * new_share)
        parts.append(_table(np.concatenate([rng.integers(1, 2**63, n_new, dtype=np.uint64),
                                            rng.choice(known, file_rows - n_new, replace=False)])))
    with tempfile.TemporaryDirectory() as tmp, Store(str(Path(tmp) / "t.duckdb")) as store:
        store.con.execute("CREATE TABLE tokens_before AS SELECT * FROM token_dict LIMIT 0")
        _fill(store, "tokens_before", known)
        _fill(store, "token_dict", known)
        store.set_threads(1)
        timings = {}
        for name in ("baseline", "provenance"):  # each file: one transaction, as commit.commit_files with a file alone
            t0 = time.perf_counter()
            for part in parts:
                store.con.register("_parts", part)
                with store.transaction():
                    store.con.execute(BASELINE_LOAD) if name == "baseline" else store.query(dictionary.load_query(store))
                store.con.unregister("_parts")
                if name == "provenance":
                    dictionary.merge_if_large(store)
            if name == "provenance":
                dictionary.merge_pending(store)
            timings[name] = time.perf_counter() - t0
        before = store.sql("SELECT count(*) FROM tokens_before").fetchone()[0]
        after = store.sql("SELECT count(*) FROM tokens").fetchone()[0]
        assert before == after, (before, after)  # the same dictionary either way
    return timings["baseline"], timings["provenance"], after


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dict-rows", default="1000000,2900000,3000000,5000000,20000000")
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--file-rows", type=int, default=50_000)
    ap.add_argument("--new-share", type=float, default=0.1)
    a = ap.parse_args()
    print(f"{a.files} files of {a.file_rows:,} distinct tokens, {a.new_share:.0%} new; wall seconds for all their commits")
    print(f"{'dictionary':>12s} {'baseline':>10s} {'provenance':>11s} {'ratio':>7s}   per file (baseline -> provenance)")
    for n in (int(float(x)) for x in a.dict_rows.split(",")):
        base, new, final = run(n, a.files, a.file_rows, a.new_share)
        print(f"{n:>12,d} {base:>9.2f}s {new:>10.2f}s {base / new:>6.1f}x   {base / a.files * 1000:.0f} -> {new / a.files * 1000:.0f} ms"
              f"  (dictionary after: {final:,})")


if __name__ == "__main__":
    main()
