"""Queries on shards (`ingest --output` + `attach`): a part per table and input file against a part per batch.

A Common Crawl WARC file holds ~40,000 pages, 40 batches of 1,000: a part per batch made 280 Parquet
files of each input (25 million for a crawl), and DuckDB opens every file a query reads. Generates
(never commits) FILES WET files of DOCS documents (benchmarks/ingest.py's), ingests them into shards
with batches of BATCH documents (so that each file has DOCS / BATCH batches, as a crawl's files
have 40 at the default 1,000), then builds the baseline layout from those shards: each part's row
groups (one per batch) written as files of their own under the same attempt prefix, as the code
before one part per file published them. Both directories are attached, and the same queries
timed on each in alternating rounds (the fastest of --repeat is reported), with the ratio.
Usage: python benchmarks/shard_parts.py [--files 40] [--docs 1000] [--batch 100] [--repeat 3]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import make_corpus  # noqa: E402
from provenance.config import IngestConfig  # noqa: E402
from provenance.scale import attach, ingest_shards  # noqa: E402
from provenance.store import Store  # noqa: E402

QUERIES = {
    "count documents": "SELECT count(*) FROM documents",
    "yearly_summary": "SELECT * FROM yearly_summary",
    "tokens per crawl and year": "SELECT crawl, year, sum(n_tokens) FROM token_blocks GROUP BY ALL",
    "band keys shared by 2+ docs": "SELECT count(*) FROM (SELECT band, key FROM band_keys GROUP BY ALL HAVING count(*) > 1)",
    "one document's text": "SELECT length(text) FROM texts WHERE doc_id = (SELECT min(doc_id) FROM documents)",
}


def split_by_batch(shards: Path, into: Path) -> int:
    """Copy shards to `into` with each part's row groups as files of their own (the layout before); return its Parquet files."""
    import pyarrow.parquet as pq

    shutil.copytree(shards, into)
    for part in list(into.rglob("*-00000.parquet")):
        if part.parent.name == "crawl=_empty":
            continue
        source = pq.ParquetFile(part)
        stem = part.name[: -len("-00000.parquet")]
        tables = [source.read_row_group(i) for i in range(source.num_row_groups)]
        source.close()
        part.unlink()
        for n, table in enumerate(tables):
            pq.write_table(table, part.with_name(f"{stem}-{n:05d}.parquet"), compression="lz4", use_dictionary=False)
    return sum(1 for _ in into.rglob("*.parquet"))


def timed(db: Path, sql: str) -> tuple[float, list]:
    with Store(str(db), read_only=True) as s:
        t0 = time.perf_counter()
        rows = s.sql(sql).fetchall()
        return time.perf_counter() - t0, rows


def time_layouts(layouts: dict[str, Path], root: Path, queries: dict[str, str], repeat: int) -> tuple[dict[str, list[float]], dict[tuple[str, str], float]]:
    """Attach each shard folder to a new store in each of `repeat` rounds (layouts alternating) and time the queries
    on it; return attach's seconds per layout and the fastest seconds per (layout, query). Answers must agree."""
    attach_s: dict[str, list[float]] = {name: [] for name in layouts}
    best: dict[tuple[str, str], float] = {}
    for n in range(repeat):
        answers = {}
        for name, folder in layouts.items():
            db = root / f"{name.replace(' ', '_')}-{n}.duckdb"
            t0 = time.perf_counter()
            attach(str(db), str(folder))
            attach_s[name].append(time.perf_counter() - t0)
            for q, sql in queries.items():
                seconds, rows = timed(db, sql)
                best[name, q] = min(best.get((name, q), seconds), seconds)
                answers.setdefault(q, rows)
                assert answers[q] == rows, f"{q}: the layouts disagree"
    return attach_s, best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--docs", type=int, default=1000, help="documents per file")
    ap.add_argument("--batch", type=int, default=100, help="documents per batch (a crawl's file: 40 batches)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        make_corpus(root / "in", a.docs * a.files, a.files, "wet")
        config = IngestConfig(workers=2, batch_docs=a.batch, block_docs=a.batch // 2)
        summary = ingest_shards([str(root / "in")], config, str(root / "per_file"))
        assert summary.ingested == a.files and not summary.errors, summary.to_dict()
        layouts = {"a part per file": root / "per_file", "a part per batch": root / "per_batch"}
        files = {"a part per file": sum(1 for _ in layouts["a part per file"].rglob("*.parquet")),
                 "a part per batch": split_by_batch(layouts["a part per file"], layouts["a part per batch"])}
        attach_s, best = time_layouts(layouts, root, QUERIES, a.repeat)
        print(f"{a.files} files of {a.docs} documents, batches of {a.batch} ({a.docs // a.batch} per file), "
              f"{summary.documents} documents")
        print(f"{'':32s} {'a part per file':>16s} {'a part per batch':>17s} {'ratio':>7s}")
        print(f"{'Parquet files':32s} {files['a part per file']:16d} {files['a part per batch']:17d} "
              f"{files['a part per batch'] / files['a part per file']:6.1f}x")
        row = [min(attach_s[name]) for name in layouts]
        print(f"{'attach (s)':32s} {row[0]:16.3f} {row[1]:17.3f} {row[1] / row[0]:6.1f}x")
        for q in QUERIES:
            one, per_batch = best["a part per file", q], best["a part per batch", q]
            print(f"{q + ' (s)':32s} {one:16.3f} {per_batch:17.3f} {per_batch / one:6.1f}x")


if __name__ == "__main__":
    main()
