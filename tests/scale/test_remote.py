"""Remote inputs: streamed over HTTP (127.0.0.1), resumed after a dropped connection, read like local files."""
from __future__ import annotations

import gzip
import hashlib
import io
import shutil

import pytest

from provenance.config import IngestConfig
from provenance.ingest import remote
from provenance.ingest.inputs import expand_inputs
from provenance.ingest.pipeline import ingest
from provenance.ingest.readers import iter_records
from provenance.ingest.remote import ForwardStream
from provenance.store import Store
from tests.conftest import FIXTURES, response_record, warcinfo


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(remote, "BACKOFF_SECONDS", 0.01)


def items(path):
    return [(type(i).__name__, i.offset, getattr(i, "headers", {}).get("warc-record-id"), getattr(i, "reason", None))
            for i in iter_records(path)]


def test_forward_stream_seeks_back_within_its_window_and_hashes_every_byte_once():
    data = bytes(range(256)) * 4000  # 1 MB
    stream = ForwardStream(lambda offset: io.BytesIO(data[offset:]), "mem", window_bytes=1 << 16)
    remote_fetch = remote.FETCH_BYTES
    try:
        remote.FETCH_BYTES = 1 << 14
        assert stream.read(4) == data[:4]
        assert stream.seek(0) == 0 and stream.read(10) == data[:10]
        stream.seek(500_000)
        assert stream.read(3) == data[500_000:500_003]
        stream.seek(0)  # far behind the window: clamped to its oldest byte
        assert stream.clamped_seeks == 1 and stream.tell() > 400_000
        assert stream.finish() == (len(data), hashlib.sha256(data).hexdigest())
    finally:
        remote.FETCH_BYTES = remote_fetch


def test_records_over_http_equal_the_local_files_records(serve):
    for rel in ("crawl/CC-MAIN-2019-35/CC-MAIN-20190817094521-20190817120221-00000.warc.gz", "broken/corrupt-gzip.warc.gz",
                "broken/truncated-gzip.warc.gz", "crawl/CC-MAIN-2013-20/CC-MAIN-20130518052741-20130518074441-00000.arc.gz"):
        target = serve.handler.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / rel, target)
        assert items(serve.url(rel)) == items(str(FIXTURES / rel)), rel


def test_a_dropped_connection_resumes_with_a_range_request(serve, make_warc):
    path = make_warc("CC-MAIN-2019-35-a.warc.gz", [warcinfo(), *(response_record(i) for i in range(400))])
    shutil.copy(path, serve.handler.root / path.name)
    serve.fail(path.name, "503", "cut")
    assert items(serve.url(path.name)) == items(str(path))
    ranges = [r for p, r in serve.requests if p == "/" + path.name]
    assert ranges[0] is None and ranges[-1] is not None and ranges[-1].startswith("bytes=")


def test_the_local_executor_streams_http_inputs_and_records_a_404(serve, make_warc, tmp_path):
    path = make_warc("CC-MAIN-2019-35-b.warc.gz", [warcinfo(), *(response_record(i) for i in range(20))])
    shutil.copy(path, serve.handler.root / path.name)
    local_db, remote_db = str(tmp_path / "local.duckdb"), str(tmp_path / "remote.duckdb")
    ingest([str(path)], IngestConfig(db=local_db, workers=1))
    summary = ingest([serve.url(path.name), serve.url("missing.warc.gz")], IngestConfig(db=remote_db, workers=1))
    assert (summary.ingested, summary.failed) == (1, 1)
    assert "HTTP 404" in summary.results[-1].faults[0].reason or any("HTTP 404" in f.reason for r in summary.results for f in r.faults)
    cols = "record_id, url, crawl, year, lang, n_tokens, text_hash, record_offset"
    with Store(local_db, read_only=True) as a, Store(remote_db, read_only=True) as b:
        assert a.sql(f"SELECT {cols} FROM documents ORDER BY record_id").fetchall() == b.sql(f"SELECT {cols} FROM documents ORDER BY record_id").fetchall()
        assert a.sql("SELECT sha256, size FROM sources").fetchall() == b.sql("SELECT sha256, size FROM sources WHERE status = 'done'").fetchall()


def test_a_remote_paths_listing_expands_against_the_paths_prefix(serve):
    listing = "crawl-data/CC-MAIN-2019-35/segments/1/warc/a.warc.gz\ncrawl-data/CC-MAIN-2019-35/segments/1/warc/b.warc.gz\n"
    (serve.handler.root / "warc.paths.gz").write_bytes(gzip.compress(listing.encode()))
    got = expand_inputs([serve.url("warc.paths.gz")], paths_prefix=serve.base + "/")
    assert [i.path for i in got] == [serve.url("crawl-data/CC-MAIN-2019-35/segments/1/warc/a.warc.gz"),
                                     serve.url("crawl-data/CC-MAIN-2019-35/segments/1/warc/b.warc.gz")]
    assert all(i.problem is None for i in got)
    assert [i.path for i in expand_inputs(["https://data.commoncrawl.org/x.warc.gz"])] == ["https://data.commoncrawl.org/x.warc.gz"]


def test_a_local_listing_may_point_at_a_remote_prefix(tmp_path):
    listing = tmp_path / "wet.paths.gz"
    listing.write_bytes(gzip.compress(b"crawl-data/CC-MAIN-2024-10/segments/1/wet/a.warc.wet.gz\n"))
    got = expand_inputs([str(listing)], paths_prefix="https://data.commoncrawl.org/")
    assert [i.path for i in got] == ["https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-10/segments/1/wet/a.warc.wet.gz"]
