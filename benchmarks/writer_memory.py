"""Peak memory of each ingest process as the input grows: one large file, and the same pages in several files.

The issue's target is a peak RSS under 1 GiB whatever the input size. Workers hold a batch at a time;
the writer holds what it loads and what DuckDB keeps until a checkpoint. Generates (never commits)
DOCS pages (benchmarks/ingest.py's ~6 KB pages) as one file and as FILES files, ingests each with one
worker, and samples every process of the run (/proc, every 50 ms) for its peak resident memory, split
into anonymous memory and mapped files (file pages the kernel can drop: staged parts, libraries).
Usage: python benchmarks/writer_memory.py [--docs 80000] [--files 4]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import make_corpus  # noqa: E402


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    out += _tree(int(child))
    except OSError:
        pass
    return out


def _memory(pid: int) -> tuple[int, int, int] | None:
    """(resident, anonymous, file-backed) MiB of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        return tuple(int(fields[k].split()[0]) // 1024 for k in ("VmRSS", "RssAnon", "RssFile"))  # type: ignore[return-value]
    except (OSError, KeyError, ValueError):
        return None


def measure(folder: Path, db: Path) -> dict:
    """Ingest folder with one worker; the peak (resident, anonymous, file) of the writer and of the largest other process."""
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "provenance", "ingest", str(folder), "--db", str(db), "--workers", "1", "--json"],
                         stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    peak: dict[int, tuple[int, int, int]] = {}
    while p.poll() is None:
        for pid in _tree(p.pid):
            m = _memory(pid)
            if m is not None:
                peak[pid] = tuple(max(a, b) for a, b in zip(peak.get(pid, (0, 0, 0)), m))  # type: ignore[assignment]
        time.sleep(0.05)
    summary = json.loads(p.stdout.read())
    others = [m for pid, m in peak.items() if pid != p.pid]
    return {"docs": summary["documents"], "seconds": time.perf_counter() - t0, "writer": peak.get(p.pid, (0, 0, 0)),
            "other": max(others, default=(0, 0, 0))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=80_000)
    ap.add_argument("--files", type=int, default=4)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"{a.docs} pages of ~6 KB; peak MiB of each process: resident (anonymous + mapped files)")
        for n in (1, a.files):
            (root / str(n)).mkdir()
            make_corpus(root / str(n), a.docs, n, "warc")
            r = measure(root / str(n), root / f"{n}.duckdb")
            w, o = r["writer"], r["other"]
            print(f"{n} file(s): {r['docs']} documents in {r['seconds']:.1f} s; writer {w[0]} ({w[1]} + {w[2]}), "
                  f"largest other process {o[0]} ({o[1]} + {o[2]})   (target < 1024)")


if __name__ == "__main__":
    main()
