"""A shard folder's ledger as entry files against the same ledger folded by `compact` (provenance/scale/ledger.py).

Every query of an attached store reads the whole ledger, and so does every ingest into the folder (to skip what it
holds); a crawl's is 90,000 entries. Ingests one fixture file into shards (real parts and a real ledger entry), adds
ENTRIES copies of its entry (other paths, hashes and part prefixes: no parts of theirs), copies the folder, and folds
the copy's ledger with `compact`. Then, in alternating rounds (the fastest of --repeat): attach each folder to a new
store and query it, and read its ledger as an ingest does. Checks both give the same answers.
Usage: python benchmarks/shard_fold.py [--entries 20000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from shard_ledger import real_entry, write_entries  # noqa: E402
from shard_parts import time_layouts  # noqa: E402

from provenance.scale.compact import compact  # noqa: E402
from provenance.scale.layout import LEDGER, ShardDir  # noqa: E402
from provenance.scale.ledger import read_ledger  # noqa: E402

QUERIES = {
    "count(*) sources": "SELECT count(*), sum(n_docs) FROM sources",
    "count(*) documents": "SELECT count(*) FROM documents",
    "yearly_summary": "SELECT * FROM yearly_summary",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files, folded = root / "files", root / "folded"
        write_entries(files / LEDGER, real_entry(files), a.entries)
        shutil.copytree(files, folded)
        t0 = time.perf_counter()
        result = compact(str(folded))
        fold_s = time.perf_counter() - t0
        assert result.ledger.rows == a.entries + 1 and not result.notes, result
        fold_bytes = sum(p.stat().st_size for p in (folded / LEDGER / "_fold").glob("0*.parquet"))
        files_bytes = sum(p.stat().st_size for p in (files / LEDGER).glob("*.json"))
        layouts = {"entry files": files, "folded": folded}
        attach_s, best = time_layouts(layouts, root, QUERIES, a.repeat)
        read_s: dict[str, float] = {}
        for _ in range(a.repeat):
            got = {}
            for name, folder in layouts.items():
                t0 = time.perf_counter()
                got[name] = sorted(json.dumps(e, sort_keys=True) for e in read_ledger(ShardDir(str(folder))))
                read_s[name] = min(read_s.get(name, 1e9), time.perf_counter() - t0)
            assert got["entry files"] == got["folded"], "the ledgers disagree"
        print(f"{a.entries + 1:,} ledger entries: {files_bytes / 1e6:.1f} MB of JSON files, folded in {fold_s:.2f} s "
              f"into {fold_bytes / 1e6:.1f} MB of Parquet (compact: {result.seconds:.2f} s)")
        print(f"{'':28s} {'entry files':>12s} {'folded':>10s} {'ratio':>7s}")
        rows = [("attach", min(attach_s["entry files"]), min(attach_s["folded"]))]
        rows += [(q, best["entry files", q], best["folded", q]) for q in QUERIES]
        rows.append(("read by an ingest (Python)", read_s["entry files"], read_s["folded"]))
        for name, before, after in rows:
            print(f"{name:28s} {before:10.3f} s {after:8.3f} s {before / after:6.1f}x")


if __name__ == "__main__":
    main()
