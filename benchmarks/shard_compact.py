"""Queries on shards (`ingest --output` + `attach`) before and after `provenance compact`.

A query of an attached store opens every part of each table it reads (a part per table and input file),
~0.2 ms a file: a crawl's 90,000 input files cost seconds to minutes a query before any row is read.
Generates (never commits) FILES WET files of DOCS documents (benchmarks/ingest.py's), ingests them into
shards, copies the folder and compacts the copy; both are attached, and the same queries timed on each in
alternating rounds (the fastest of --repeat is reported), with the ratio; the answers must be equal.
Usage: python benchmarks/shard_compact.py [--files 2000] [--docs 10] [--repeat 3]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import make_corpus  # noqa: E402
from benchmarks.shard_parts import QUERIES, time_layouts  # noqa: E402
from provenance.config import IngestConfig  # noqa: E402
from provenance.scale import ingest_shards  # noqa: E402
from provenance.scale.compact import compact  # noqa: E402

QUERIES = {**QUERIES, "count sources": "SELECT count(*) FROM sources"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--docs", type=int, default=10, help="documents per file")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        make_corpus(root / "in", a.docs * a.files, a.files, "wet")
        summary = ingest_shards([str(root / "in")], IngestConfig(workers=2), str(root / "parts"))
        assert summary.ingested == a.files and not summary.errors, summary.to_dict()
        shutil.copytree(root / "parts", root / "compacted")
        result = compact(str(root / "compacted"))
        assert not result.notes, result.notes
        layouts = {"parts": root / "parts", "compacted": root / "compacted"}
        files = {name: sum(1 for _ in folder.rglob("*.parquet")) for name, folder in layouts.items()}
        attach_s, best = time_layouts(layouts, root, QUERIES, a.repeat)
        print(f"{a.files} files of {a.docs} documents, {summary.documents} documents; compact: {result.parts} parts into "
              f"{result.files} files in {result.seconds:.2f} s ({result.bytes_before / 1e6:.1f} MB -> {result.bytes_after / 1e6:.1f} MB)")
        print(f"{'':32s} {'parts':>10s} {'compacted':>10s} {'ratio':>7s}")
        print(f"{'Parquet files':32s} {files['parts']:10d} {files['compacted']:10d} {files['parts'] / files['compacted']:6.1f}x")
        row = [min(attach_s[name]) for name in layouts]
        print(f"{'attach (s)':32s} {row[0]:10.3f} {row[1]:10.3f} {row[0] / row[1]:6.1f}x")
        for q in QUERIES:
            before, after = best["parts", q], best["compacted", q]
            print(f"{q + ' (s)':32s} {before:10.3f} {after:10.3f} {before / after:6.1f}x")


if __name__ == "__main__":
    main()
