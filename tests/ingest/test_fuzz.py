"""Fuzz: mutated archives never raise, never hang, and leave a consistent store."""
from __future__ import annotations

from pathlib import Path

import pytest

from provenance.config import IngestConfig
from provenance.fuzzing import as_zstd, mutate
from provenance.ingest.pipeline import ingest_into
from provenance.store import Store
from tests.conftest import FIXTURES, gz, response_record, warc_record, warcinfo

CASES = 300


def seeds(tmp_path: Path) -> list[bytes]:
    """Fixture archives (when present) and generated ones in both gzip styles, plain, and zstd (a frame per record)."""
    found = sorted(p for p in (FIXTURES / "crawl").rglob("*") if p.is_file() and p.stat().st_size < 300_000) if (FIXTURES / "crawl").exists() else []
    records = [warcinfo(), *(response_record(i) for i in range(6)),
               warc_record("conversion", b"some plain text", "https://x.example/", content_type="text/plain")]
    generated = [b"".join(gz(r) for r in records), gz(b"".join(records)), b"".join(records), as_zstd(b"".join(gz(r) for r in records))]
    return [p.read_bytes() for p in found[:8]] + generated


@pytest.mark.parametrize("chunk", range(6))
def test_mutated_archives_ingest_without_traceback_and_keep_the_store_consistent(tmp_path, chunk):
    originals = seeds(tmp_path)
    store = Store(str(tmp_path / "fuzz.duckdb"))
    config = IngestConfig(db=store.path, workers=1, file_timeout=20, max_record_bytes=1 << 20)
    per_chunk = CASES // 6
    for case in range(chunk * per_chunk, (chunk + 1) * per_chunk):
        name, data = mutate(originals[case % len(originals)], seed=case)
        path = tmp_path / f"case{case}.warc.gz"
        path.write_bytes(data)
        summary = ingest_into(store, [str(path)], config)
        assert not any(f.kind == "timeout" for r in summary.results for f in r.faults), (case, name)
        assert store.check() == [], (case, name)
        path.unlink()
    store.close()
    with Store(config.db, read_only=True) as reopened:
        assert reopened.check() == []
