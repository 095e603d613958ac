"""Texts of many small files: bundled (the default) against a file per source, on the same input, in one process.

A sampled panel (--sample-rate over every WET file of a few crawls) holds tens of thousands of small
texts files, and every query of `texts` opens each one. Generates (never commits) FILES WET files of
DOCS documents each (benchmarks/ingest.py's documents), ingests them into two new stores, one that
merges small texts files into bundles at the end of the run (provenance/textfiles.py, compact) and
one that never does (MIN_SMALL_FILES past FILES: the baseline), in alternating rounds, then times
queries of `texts` on both. The fastest of each is reported, with the ratio baseline / bundled.
Usage: python benchmarks/texts_bundles.py [--files 2000] [--docs 10] [--workers 2] [--repeat 2]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import make_corpus  # noqa: E402
from provenance import textfiles  # noqa: E402
from provenance.config import IngestConfig  # noqa: E402
from provenance.ingest.pipeline import ingest  # noqa: E402
from provenance.store import Store  # noqa: E402

QUERIES = {
    "count(*)": "SELECT count(*) FROM texts",
    "one text by doc_id": "SELECT length(text) FROM texts WHERE doc_id = (SELECT max(doc_id) FROM documents)",
    "100 texts of a sample": "SELECT sum(length(t.text)) FROM texts t JOIN (SELECT doc_id FROM documents WHERE hash(doc_id) % 200 = 0) "
                             "USING (doc_id)",
    "all text, length": "SELECT sum(length(text)) FROM texts",
}


def _ingest(folder: Path, db: Path, workers: int, bundled: bool, files: int) -> float:
    textfiles.MIN_SMALL_FILES = 256 if bundled else files + 1
    t0 = time.perf_counter()
    summary = ingest([str(folder)], IngestConfig(db=str(db), workers=workers))
    assert summary.ingested == summary.files and not summary.errors, summary.to_dict()
    return time.perf_counter() - t0


def _query(db: Path, sql: str) -> tuple[float, object]:
    with Store(str(db), read_only=True) as store:
        t0 = time.perf_counter()
        rows = store.sql(sql).fetchall()
        return time.perf_counter() - t0, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--docs", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        make_corpus(folder, a.docs * a.files, a.files, "wet")
        print(f"{a.files} WET files of {a.docs} documents, {a.workers} workers, best of {a.repeat}")
        best = {True: float("inf"), False: float("inf")}
        for n in range(a.repeat):
            for bundled in (False, True):
                db = Path(tmp) / f"{'bundled' if bundled else 'plain'}-{n}.duckdb"
                best[bundled] = min(best[bundled], _ingest(folder, db, a.workers, bundled, a.files))
        texts = {b: len(list((Path(tmp) / f"{'bundled' if b else 'plain'}-0.duckdb.texts").glob("*.parquet"))) for b in best}
        print(f"{'':28s} {'a file per source':>18s} {'bundled':>10s} {'ratio':>7s}")
        print(f"{'texts files':28s} {texts[False]:>18d} {texts[True]:>10d}")
        print(f"{'ingest, s':28s} {best[False]:>18.2f} {best[True]:>10.2f} {best[False] / best[True]:>6.2f}x")
        for name, sql in QUERIES.items():
            times = {True: float("inf"), False: float("inf")}
            answers = {}
            for _ in range(a.repeat):
                for bundled in (False, True):
                    seconds, answers[bundled] = _query(Path(tmp) / f"{'bundled' if bundled else 'plain'}-0.duckdb", sql)
                    times[bundled] = min(times[bundled], seconds)
            assert answers[True] == answers[False], (name, answers)
            print(f"{name + ', s':28s} {times[False]:>18.3f} {times[True]:>10.3f} {times[False] / times[True]:>6.1f}x")


if __name__ == "__main__":
    main()
