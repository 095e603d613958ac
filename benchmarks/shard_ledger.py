"""Reading a shard directory's ledger (one JSON file per ingested file): read_text + from_json against read_json.

Every query of an attached store reads the whole ledger (`sources`, and the parts' views keep only the
parts a ledger entry names), and a crawl's ledger is 90,000 files. Ingests one fixture file into
shards for a real ledger entry, writes ENTRIES copies of it (other paths, hashes and part prefixes),
then reads them with the records' columns both ways in alternating rounds (the fastest of --repeat
is reported): as attach reads them (provenance/scale/attach.py), and with DuckDB's read_json and the
same columns (the baseline: attach before this benchmark). Checks both give the same rows.
Usage: python benchmarks/shard_ledger.py [--entries 20000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from provenance.config import IngestConfig  # noqa: E402
from provenance.scale import ingest_shards  # noqa: E402
from provenance.scale.attach import _json_records, columns_of  # noqa: E402
from provenance.scale.layout import LEDGER, ShardDir  # noqa: E402
from provenance.scale.ledger import record_columns  # noqa: E402
from provenance.sqlfiles import literal  # noqa: E402
from provenance.store import Store  # noqa: E402


def read_json_baseline(folder: Path, columns: list[tuple[str, str]]) -> str:
    typed = record_columns(columns)
    spec = "{" + ", ".join(f"{literal(c)}: {literal(t)}" for c, t in typed) + "}"
    names = ", ".join(f'"{c}"' for c, _ in typed)
    return f"(SELECT {names} FROM read_json({literal(str(folder / '*.json'))}, format = 'newline_delimited', columns = {spec}))"


def write_entries(ledger: Path, entry: dict, n: int) -> None:
    """n copies of a ledger entry in the ledger folder, each of its own path, content and part prefix."""
    ledger.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sha = hashlib.sha256(str(i).encode()).hexdigest()
        e = {**entry, "path": f"/crawl/segments/{i // 1000}/file-{i:06d}.warc.gz", "sha256": sha, "source_id": i + 1,
             "part_prefix": f"{sha[:16]}-0000{i % 10}"}
        (ledger / f"{sha}.json").write_text(json.dumps(e, sort_keys=True) + "\n")


def real_entry(folder: Path) -> dict:
    """Ingest one fixture file into shards at folder; return its ledger entry."""
    fixture = ROOT / "fixtures" / "crawl" / "CC-MAIN-2019-35"
    ingest_shards([str(next(fixture.glob("*.warc.gz")))], IngestConfig(workers=1), str(folder))
    return json.loads(next((folder / LEDGER).glob("*.json")).read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ledger = root / "shards" / LEDGER
        entry = real_entry(root / "one")
        write_entries(ledger, entry, a.entries)
        with Store(":memory:") as s:
            columns = columns_of(s, "sources")
        ways = {"read_text + from_json (attach)": _json_records(ShardDir(str(root / "shards")), LEDGER, record_columns(columns)),
                "read_json (baseline)": read_json_baseline(ledger, columns)}
        con = duckdb.connect()
        rows = {name: con.sql(f"SELECT * FROM {source} ORDER BY path").fetchall() for name, source in ways.items()}
        assert len({json.dumps(r, default=str) for r in rows.values()}) == 1, "the two reads disagree"
        best: dict[str, float] = {}
        for _ in range(a.repeat):  # every column used, as the views do, without the cost of Python objects
            for name, source in ways.items():
                t0 = time.perf_counter()
                con.sql(f"SELECT count(*), count(DISTINCT path), sum(n_docs), max(finished_at), count(faults), count(options), "
                        f"count(record_counts), count(part_prefix) FROM {source}").fetchall()
                best[name] = min(best.get(name, 1e9), time.perf_counter() - t0)
        print(f"{a.entries} ledger entries of {len(json.dumps(entry))} bytes, every column read (same rows both ways)")
        for name, seconds in best.items():
            print(f"{name:34s} {seconds:7.3f} s  {seconds / a.entries * 1e6:7.1f} us per entry")
        new, old = best["read_text + from_json (attach)"], best["read_json (baseline)"]
        print(f"ratio (baseline / attach)          {old / new:7.1f}x")


if __name__ == "__main__":
    main()
