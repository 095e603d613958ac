"""A bug in provenance itself, met on odd input, costs the record (or file) it met, never the run."""
from __future__ import annotations

import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from provenance.cli import app
from provenance.cli.app import handled
from provenance.config import IngestConfig
from provenance.ingest.jobs import FileJob
from provenance.ingest import worker
from provenance.store import Store
from tests.conftest import response_record, warcinfo

runner = CliRunner()


def test_a_bug_on_one_record_skips_that_record_with_its_offset_and_keeps_the_rest(make_warc, tmp_path, monkeypatch):
    path = make_warc("CC-MAIN-2019-35-x.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    real = worker.extract

    def extract(rec, max_bytes, *options):
        if rec.headers.get("warc-target-uri", "").endswith("/page/4"):
            raise ValueError("odd record\nsecond line")
        return real(rec, max_bytes, *options)

    monkeypatch.setattr(worker, "extract", extract)
    db = str(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["ingest", str(path), "--db", db, "--workers", "1"])
    assert result.exit_code == 1
    [line] = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert "internal error on this record, skipped: ValueError: odd record" in line and "offset" in line
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT count(*) FROM documents").fetchone() == (9,)
        [(kind, offset, rid)] = s.sql("SELECT kind, \"offset\", record_id FROM ingest_errors").fetchall()
        assert kind == "internal" and offset > 0 and rid is not None
        assert s.check() == []


def test_a_bug_outside_any_record_fails_that_file_in_one_line_and_other_files_land(make_warc, tmp_path, monkeypatch):
    good = make_warc("a.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    bad = make_warc("b.warc.gz", [warcinfo(), *(response_record(i + 100) for i in range(10))])
    real = worker.build_tables

    def build_tables(batch, ctx):
        if any(u.endswith("/page/105") for u in batch.url):
            raise RuntimeError("feature bug")
        return real(batch, ctx)

    monkeypatch.setattr(worker, "build_tables", build_tables)
    db = str(tmp_path / "s.duckdb")
    for path in (good, bad):  # one file per run: in-process, where the patch applies
        result = runner.invoke(app, ["ingest", str(path), "--db", db])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert "b.warc.gz" in line and "internal error: RuntimeError: feature bug" in line
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT path LIKE '%a.warc.gz', status, n_docs FROM sources ORDER BY path").fetchall() == [(True, "done", 10), (False, "failed", 0)]
        assert s.sql("SELECT count(*) FROM documents").fetchone() == (10,)
        assert s.check() == []


def test_the_file_deadline_is_not_mistaken_for_a_bug_on_the_record_it_interrupts(make_warc, tmp_path, monkeypatch):
    path = make_warc("slow.warc.gz", [warcinfo(), *(response_record(i) for i in range(8))])
    real = worker.extract

    def slow_extract(rec, max_bytes, *options):
        time.sleep(0.3)  # the deadline falls inside a record's extraction
        return real(rec, max_bytes, *options)

    monkeypatch.setattr(worker, "extract", slow_extract)
    config = IngestConfig(db=str(tmp_path / "s.duckdb"), file_timeout=0.5)
    res = worker.process_file(FileJob(str(path), 1, str(tmp_path / "staging"), config))
    assert [f.kind for f in res.faults] == ["timeout"]
    assert 0 < res.n_docs < 8


def test_a_ctrl_c_that_duckdb_met_inside_a_query_is_an_interrupt_not_a_traceback():
    with pytest.raises(typer.Exit) as stop:
        with handled():
            raise RuntimeError("Query interrupted")
    assert stop.value.exit_code == 130
    with pytest.raises(RuntimeError, match="something else"):
        with handled():
            raise RuntimeError("something else")


def test_a_ctrl_c_that_duckdb_wrapped_while_it_read_an_arrow_stream_is_an_interrupt_not_a_traceback():
    # a Ctrl-C raised in the generator of Arrow batches that DuckDB reads (Store.load_parts) reaches us as its error
    import duckdb

    with pytest.raises(typer.Exit) as stop, handled():
        raise duckdb.InvalidInputException("Invalid Input Error: reading the stream registered as '_parts' failed: KeyboardInterrupt")
    assert stop.value.exit_code == 130
    with pytest.raises(duckdb.InvalidInputException), handled():
        raise duckdb.InvalidInputException("Invalid Input Error: something else")


def test_a_record_cut_short_between_its_appends_is_dropped_whole():
    from provenance.ingest.features import Batch

    batch = Batch()
    for name in batch.__dataclass_fields__:
        getattr(batch, name).extend([f"{name}0", f"{name}1"])
    batch.ordinal.append(2)
    batch.record_id.append("third, cut short")
    batch.trim()
    assert {name: len(getattr(batch, name)) for name in batch.__dataclass_fields__} == {name: 2 for name in batch.__dataclass_fields__}


def test_after_a_bug_on_a_record_the_watch_file_no_longer_names_that_record(make_warc, tmp_path, monkeypatch):
    # A death in the reader after the fault must not be blamed on (and skip) the faulty record.
    path = make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(5))])
    real = worker.extract

    def extract(rec, max_bytes, *options):
        if rec.headers.get("warc-target-uri", "").endswith("/page/4"):  # the last record
            raise ValueError("odd record")
        return real(rec, max_bytes, *options)

    monkeypatch.setattr(worker, "extract", extract)
    watch = tmp_path / "current-record"
    res = worker.process_file(FileJob(str(path), 1, str(tmp_path / "st"), IngestConfig(), watch=str(watch)))
    assert [f.kind for f in res.faults] == ["internal"] and res.n_docs == 4
    assert int(watch.read_text()) == -1


def _doc_ids(res) -> list[int]:
    return sorted(i for part in res.parts.get("documents", []) for i in pq.read_table(part)["doc_id"].to_pylist())


def test_a_deadline_while_a_batch_is_written_keeps_that_batch_whole_and_once(make_warc, tmp_path, monkeypatch):
    # Writing the second batch takes until the file's deadline has passed: the alarm waits for the batch's
    # parts, and the file stops after them.
    path = make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(12))])
    real, writes = worker._PartWriter._write, []

    def slow_write(self, tables, dropped):
        writes.append(tables["documents"].num_rows)
        deadline = time.monotonic() + 5
        while len(writes) == 2 and not worker._Guard.expired and time.monotonic() < deadline:
            time.sleep(0.01)
        real(self, tables, dropped)

    monkeypatch.setattr(worker._PartWriter, "_write", slow_write)
    config = IngestConfig(batch_docs=2, block_docs=1, file_timeout=0.5)
    res = worker.process_file(FileJob(str(path), 1, str(tmp_path / "st"), config))
    assert [f.kind for f in res.faults] == ["timeout"] and writes == [2, 2]
    assert res.n_docs == 4 and _doc_ids(res) == [(1 << 32) | i for i in range(4)]  # two whole batches: none lost, none twice


def test_a_failed_part_write_fails_the_file_and_leaves_no_part_behind(make_warc, tmp_path, monkeypatch):
    path = make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    real, calls = worker._Sink.write, []

    def write(sink, table):
        calls.append(sink.path)
        if len(calls) == 9:  # the third table of the second batch
            raise OSError(28, "No space left on device")
        real(sink, table)

    monkeypatch.setattr(worker._Sink, "write", write)
    res = worker.process_file(FileJob(str(path), 1, str(tmp_path / "st"), IngestConfig(batch_docs=2, block_docs=1)))
    assert res.status == "failed" and (res.n_docs, res.parts) == (0, {})
    assert [(f.kind, f.reason) for f in res.faults] == [("io", "cannot write this file's parts: No space left on device; nothing of the file is kept")]
    assert list((tmp_path / "st").iterdir()) == []


def test_a_part_whose_header_cannot_be_written_leaves_no_file_behind(make_warc, tmp_path, monkeypatch):
    """A full disk as a table's part is created: the file is failed, and no file is left that its result does not list."""
    path = make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    real = worker.pq.ParquetWriter

    def writer(where, schema, **kw):
        if "band_keys" in str(where):
            open(where, "wb").close()  # created, then its header's write fails
            raise OSError(28, "No space left on device")
        return real(where, schema, **kw)

    monkeypatch.setattr(worker.pq, "ParquetWriter", writer)
    res = worker.process_file(FileJob(str(path), 1, str(tmp_path / "st"), IngestConfig(batch_docs=4, block_docs=1)))
    assert res.status == "failed" and (res.n_docs, res.parts) == (0, {})
    assert list((tmp_path / "st").iterdir()) == []


def test_a_part_that_fails_to_close_leaves_the_others_closed(make_warc, tmp_path, monkeypatch):
    """A bug closing one table's part (not a disk error) fails the file (run_job says so in one line); every other
    part still gets its footer, so no file is left open."""
    path = make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    real = worker._Sink.close

    def close(sink):
        real(sink)
        if "token_blocks" in sink.path:  # the second of seven
            raise ValueError("a bug")

    monkeypatch.setattr(worker._Sink, "close", close)
    with pytest.raises(ValueError, match="a bug"):
        worker.process_file(FileJob(str(path), 1, str(tmp_path / "st"), IngestConfig(), part_format="arrow"))
    parts = sorted((tmp_path / "st").iterdir())
    assert [p.name for p in parts] == [f"{t}-00000.arrow" for t in sorted(worker.TABLES)]
    for part in parts:  # each with its footer
        with pa.ipc.open_file(pa.memory_map(str(part))) as f:
            assert f.read_all().num_rows


def test_an_os_error_while_building_features_is_a_read_error_not_a_write_error(make_warc, tmp_path, monkeypatch):
    """An OSError while a batch's features are built (a data file of the tokenizer gone) is a read error: the
    batches written before it are kept."""
    path = make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    real, calls = worker.build_tables, []

    def build_tables(batch, ctx):
        calls.append(len(batch))
        if len(calls) == 3:
            raise OSError(2, "No such file or directory")
        return real(batch, ctx)

    monkeypatch.setattr(worker, "build_tables", build_tables)
    res = worker.process_file(FileJob(str(path), 1, str(tmp_path / "st"), IngestConfig(batch_docs=2, block_docs=1)))
    assert [(f.kind, f.reason) for f in res.faults] == [("io", "read error: No such file or directory")]
    assert res.status == "done" and res.n_docs == 4  # the two batches before it


def test_a_watched_rerun_writes_parts_between_records_never_while_one_is_read(make_warc, tmp_path, monkeypatch):
    # After a worker died, the rerun names the record being read in the watch file; a death while
    # writing parts must not be blamed on (and skip) a record, so no part is written while one is named.
    path = make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(40))])
    watch, seen = tmp_path / "current-record", []
    real = worker._PartWriter._write

    def spying_write(self, tables, dropped):
        seen.append(int(watch.read_text()))
        real(self, tables, dropped)

    monkeypatch.setattr(worker._PartWriter, "_write", spying_write)
    res = worker.process_file(FileJob(str(path), 1, str(tmp_path / "st"), IngestConfig(batch_docs=4, block_docs=1), watch=str(watch)))
    assert res.n_docs == 40 and len(seen) == 10 and set(seen) == {-1}


def test_a_deadline_that_falls_as_the_part_writer_closes_keeps_what_was_read(make_warc, tmp_path, monkeypatch):
    path = make_warc("w.warc.gz", [warcinfo(), *(response_record(i) for i in range(10))])
    real, calls = worker._PartWriter.close, []

    def close(self):
        calls.append(1)
        if len(calls) == 1:
            raise worker._Timeout()  # as if SIGALRM came in the finally block, before close() took the guard
        real(self)

    monkeypatch.setattr(worker._PartWriter, "close", close)
    res = worker.process_file(FileJob(str(path), 1, str(tmp_path / "st"), IngestConfig(batch_docs=4, block_docs=1)))
    assert [f.kind for f in res.faults] == ["timeout"]
    [part] = res.parts["documents"]  # its three batches, each whole
    assert res.n_docs == 10 and len(_doc_ids(res)) == 10 and pq.ParquetFile(part).num_row_groups == 3
