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
    signed = expand_inputs([serve.url("warc.paths.gz") + "?X-Amz-Signature=abc"], paths_prefix=serve.base + "/")  # a presigned address
    assert [i.path for i in signed] == [i.path for i in got]  # was read as an archive: "not a WARC or ARC file"
    (serve.handler.root / "wet.paths").write_text("<!DOCTYPE html>\n<html><body>Sign in</body></html>\n")  # an error page with a 200
    assert [i.problem for i in expand_inputs([serve.url("wet.paths")])] == ["cannot read listing: the server sent a web page, not a list of paths"]


def test_a_local_listing_may_point_at_a_remote_prefix(tmp_path):
    listing = tmp_path / "wet.paths.gz"
    listing.write_bytes(gzip.compress(b"crawl-data/CC-MAIN-2024-10/segments/1/wet/a.warc.wet.gz\n"))
    got = expand_inputs([str(listing)], paths_prefix="https://data.commoncrawl.org/")
    assert [i.path for i in got] == ["https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-10/segments/1/wet/a.warc.wet.gz"]


@pytest.mark.parametrize("target", ["--db", "--output"])
def test_a_remote_read_that_gives_up_keeps_its_records_and_the_next_run_reads_the_file_again(serve, make_warc, tmp_path, target):
    # it was recorded done: the next run skipped it by its address ("already in the store"), its rest never read
    from typer.testing import CliRunner

    from provenance.cli import app

    path = make_warc("CC-MAIN-2019-35-g.warc.gz", [warcinfo(), *(response_record(i) for i in range(300))])
    shutil.copy(path, serve.handler.root / path.name)
    serve.fail(path.name, *_gives_up(target))
    dest = str(tmp_path / ("s.duckdb" if target == "--db" else "shards"))
    first = CliRunner().invoke(app, ["ingest", serve.url(path.name), target, dest])
    assert first.exit_code == 1 and "the records read so far are kept, and a rerun reads the file again" in first.stderr
    again = CliRunner().invoke(app, ["ingest", serve.url(path.name), target, dest])
    assert again.exit_code == 0 and "1 file(s) ingested, 300 documents" in again.stdout
    assert "its earlier read having ended before the file's end: its rows replace that read's" in again.stderr
    with Store(_store_of(dest, target, tmp_path), read_only=True) as s:
        assert s.sql("SELECT count(*), count(DISTINCT record_id) FROM documents").fetchone() == (300, 300)
        assert s.sql("SELECT sha256 FROM sources").fetchall() == [(hashlib.sha256(path.read_bytes()).hexdigest(),)]


@pytest.mark.parametrize("second", ["swap:other.warc.gz", "from-zero"])
def test_a_resumed_read_never_stitches_other_bytes_into_the_file(serve, make_warc, second, tmp_path):
    # a file replaced on the server between a cut and its resume, or a 206 whose bytes start elsewhere: ingested as one file
    path = make_warc("CC-MAIN-2019-35-s.warc.gz", [warcinfo(), *(response_record(i) for i in range(300))])
    other = make_warc("other.warc.gz", [warcinfo(), *(response_record(i, url=f"https://other.example/{i}") for i in range(300))])
    shutil.copy(path, serve.handler.root / path.name)
    shutil.copy(other, serve.handler.root / "other.warc.gz")
    serve.fail(path.name, "cut", second)
    db = str(tmp_path / "s.duckdb")
    summary = ingest([serve.url(path.name)], IngestConfig(db=db, workers=1))
    faults = [f.reason for r in summary.results for f in r.faults]
    assert any("changed on the server" in f or "more than the file's" in f for f in faults), faults
    with Store(db, read_only=True) as s:
        ids = [r[0] for r in s.sql("SELECT record_id FROM documents").fetchall()]
        assert s.sql("SELECT sha256 FROM sources").fetchall() == [(None,)]  # not read whole: the next run reads it again
    assert len(ids) == len(set(ids)) < 300 and set(ids) <= {i[2] for i in items(str(path))}  # the file's own records, once each


def test_a_servers_retry_after_is_waited_for(serve, make_warc, monkeypatch):
    # Common Crawl's 503 "slow down": the fixed backoff gave up after 7.5 s whatever the server asked
    path = make_warc("CC-MAIN-2019-35-r.warc.gz", [warcinfo(), response_record(1)])
    shutil.copy(path, serve.handler.root / path.name)
    serve.fail(path.name, "retry-after:30", "retry-after:500")
    waits = []
    monkeypatch.setattr(remote.time, "sleep", waits.append)
    assert items(serve.url(path.name)) == items(str(path))
    assert waits == [30.0, remote.MAX_RETRY_AFTER]


def test_listings_on_common_crawls_other_hosts_and_absolute_entries_under_a_remote_prefix(tmp_path):
    from provenance.ingest.inputs import _cc_root

    for url in ("https://commoncrawl.s3.amazonaws.com/crawl-data/CC-MAIN-2024-10/wet.paths.gz",
                "http://data.commoncrawl.org/crawl-data/CC-MAIN-2024-10/wet.paths.gz", "https://Data.CommonCrawl.org/x/wet.paths.gz"):
        assert _cc_root(url) == url[: url.index("/", 8) + 1]  # entries joined to the listing's folder: every one a 404
    assert _cc_root("s3://commoncrawl/crawl-data/x.paths.gz") == "s3://commoncrawl/" and _cc_root("https://example.org/a/x.paths.gz") is None
    listing = tmp_path / "x.paths"
    listing.write_text("crawl-data/a.warc.gz\nhttps://other.example/b.warc.gz\ns3://commoncrawl/c.warc.gz\n")
    assert [i.path for i in expand_inputs([str(listing)], "https://mirror.example/")] == [
        "https://mirror.example/crawl-data/a.warc.gz", "https://other.example/b.warc.gz", "s3://commoncrawl/c.warc.gz"]


@pytest.mark.parametrize("target", ["--db", "--output"])
def test_a_cut_read_whose_file_is_in_whole_under_another_address_leaves_no_rows_twice(serve, make_warc, tmp_path, target):
    # read again, the file was "same content as" its copy and skipped: the cut read's rows stayed beside the copy's
    from typer.testing import CliRunner

    from provenance.cli import app

    path = make_warc("CC-MAIN-2019-35-c.warc.gz", [warcinfo(), *(response_record(i) for i in range(300))])
    for folder in ("a", "b"):
        (serve.handler.root / folder).mkdir()
        shutil.copy(path, serve.handler.root / folder / path.name)
    dest = str(tmp_path / ("s.duckdb" if target == "--db" else "shards"))
    serve.fail(f"a/{path.name}", *_gives_up(target))
    for name in ("a", "b", "a"):  # cut: some of its records; the copy, whole; the first again: the copy's content
        CliRunner().invoke(app, ["ingest", serve.url(f"{name}/{path.name}"), target, dest])
    with Store(_store_of(dest, target, tmp_path), read_only=True) as s:
        assert s.sql("SELECT count(*), count(DISTINCT record_id) FROM documents").fetchone() == (300, 300)
        assert s.sql("SELECT path FROM sources").fetchall() == [(serve.url(f"b/{path.name}"),)] and s.check() == []


@pytest.mark.parametrize("etags", ["weak", "per-response"])
def test_a_resume_works_with_weak_or_per_response_etags(serve, make_warc, etags):
    # a weak tag sent as If-Range never matches: each resume came whole and its start was fetched again; a tag that differs
    # between a balancer's nodes failed every resume as "the file changed"
    path = make_warc("CC-MAIN-2019-35-e.warc.gz", [warcinfo(), *(response_record(i) for i in range(400))])
    shutil.copy(path, serve.handler.root / path.name)
    serve.handler.etags = etags
    serve.fail(path.name, "cut")
    assert items(serve.url(path.name)) == items(str(path))
    assert len(serve.requests) == 2 and serve.requests[-1][1].startswith("bytes=")


def test_a_remote_file_that_file_timeout_cut_is_skipped_with_a_note_not_read_again(serve, make_warc, tmp_path):
    # as a local file's: it was read again in every run, as a read that gave up is (both have no sha256)
    import duckdb
    from typer.testing import CliRunner

    from provenance.cli import app

    path = make_warc("CC-MAIN-2019-35-t.warc.gz", [warcinfo(), *(response_record(i) for i in range(30))])
    shutil.copy(path, serve.handler.root / path.name)
    db = str(tmp_path / "s.duckdb")
    assert CliRunner().invoke(app, ["ingest", serve.url(path.name), "--db", db]).exit_code == 0
    with duckdb.connect(db) as con:  # as --file-timeout leaves a remote file (its end unread: no sha256; a file-level timeout fault)
        con.execute("UPDATE sources SET sha256 = NULL, size = NULL")
        con.execute("INSERT INTO ingest_errors SELECT source_id, path, NULL, NULL, 'timeout', 'gave up after --file-timeout 1 s', run_id, "
                    "finished_at FROM sources")
    asked = len(serve.requests)
    again = CliRunner().invoke(app, ["ingest", serve.url(path.name), "--db", db])
    assert again.exit_code == 0 and "cut short by --file-timeout then: --force reads it again" in again.stderr
    assert len(serve.requests) == asked  # not fetched again


def _gives_up(target: str) -> list[str]:
    """A server's answers that cut a read, then refuse its resume until it gives up (in each of a shard task's 3 attempts)."""
    return ["cut", *["503"] * remote.ATTEMPTS] * (1 if target == "--db" else 3)


def _store_of(dest: str, target: str, tmp_path) -> str:
    """The store an ingest into dest fills: itself, or a store attached to the shard folder."""
    if target == "--db":
        return dest
    from provenance.scale import attach

    attach(str(tmp_path / "attached.duckdb"), dest)
    return str(tmp_path / "attached.duckdb")
