"""--record-timeout: a record that a parser's worst case stalls is skipped and reported; the rest of its file lands."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace

import pytest

from provenance.config import IngestConfig
from provenance.errors import UsageError
from provenance.ingest import pool
from provenance.ingest.native import select
from provenance.store import Store
from tests.conftest import http_response, response_record, warc_record, warcinfo

needs_watchdog = pytest.mark.skipif(select("_watchdog") is None and not os.environ.get("PROVENANCE_REQUIRE_KERNELS"),
                                    reason="the C watchdog is not built")  # CI requires it

# Lexbor checks each new attribute against the tag's others: 100,000 of them took 19 s here (quadratic)
STALLING_PAGE = b"<html><body><div " + b" ".join(b"a%d=1" % i for i in range(100_000)) + b">x</div></body></html>"


def _child(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)


@needs_watchdog
def test_a_record_past_the_limit_inside_a_parser_call_ends_the_process_and_names_the_record(tmp_path):
    overdue = tmp_path / "overdue"
    done = _child(f"""
from resiliparse.parse.html import HTMLTree
from provenance.ingest.watch import RecordWatch
from tests.ingest.test_record_timeout import STALLING_PAGE
with RecordWatch(None, {str(overdue)!r}, 0.5) as watch:
    watch.at(4242)
    HTMLTree.parse(STALLING_PAGE.decode())  # one C call that holds the GIL for ~20 s
print("parsed")
""")
    assert done.returncode == -signal.SIGKILL and "parsed" not in done.stdout
    assert overdue.read_text() == "4242\n"


@needs_watchdog
def test_only_cpu_time_spent_on_a_record_counts(tmp_path):
    overdue = tmp_path / "overdue"
    done = _child(f"""
import time
from provenance.ingest.watch import RecordWatch

def spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass

with RecordWatch(None, {str(overdue)!r}, 0.3) as watch:
    watch.at(7)
    watch.at(-1)
    spin(1)  # a batch being built, the next record being read: not a record's time
    watch.at(8)
    time.sleep(1.5)  # waiting (a stopped process, a busy machine, the GIL): not the record's CPU time
    watch.at(9)
spin(1)  # after the file (record 9 never said it ended): no limit between files
print("alive")
""")
    assert (done.returncode, done.stdout.strip(), overdue.exists()) == (0, "alive", False)


def _ingest_with_one_bad_record(make_warc, tmp_path, page: bytes, **options) -> tuple[str, str, str]:
    """Ingest a file of 20 sound records with `page` among them, and another of 10, with 2 workers:
    all 30 documents land, the store is consistent, and the one fault is returned (path, kind, reason)."""
    from provenance.ingest.pipeline import ingest

    bad = warc_record("response", http_response(page), "https://x.example.org/bad", content_type="application/http; msgtype=response")
    records = [warcinfo(), *(response_record(i) for i in range(20))]
    records.insert(10, bad)
    path = make_warc("bad.warc.gz", records)
    other = make_warc("ok.warc.gz", [warcinfo(), *(response_record(100 + i) for i in range(10))])
    db = str(tmp_path / "s.duckdb")
    summary = ingest([str(path), str(other)], IngestConfig(db=db, workers=2, **options))

    assert (summary.ingested, summary.failed, summary.documents) == (2, 0, 30)
    with Store(db, read_only=True) as s:
        [(where, kind, reason)] = s.sql("SELECT path, kind, reason FROM ingest_errors").fetchall()
        assert s.check() == []
    assert where == str(path)
    return where, kind, reason


@needs_watchdog
def test_the_stalling_record_is_skipped_with_a_fault_and_every_other_record_lands(make_warc, tmp_path):
    _, kind, reason = _ingest_with_one_bad_record(make_warc, tmp_path, STALLING_PAGE, record_timeout=1.0)
    assert kind == "timeout" and "--record-timeout 1 s" in reason


def test_an_overdue_record_is_skipped_at_once_and_only_once(tmp_path):
    from provenance.ingest.jobs import CURRENT_RECORD, OVERDUE_RECORD, FileJob
    from provenance.ingest.pipeline import _died

    (tmp_path / "7").mkdir()
    overdue = tmp_path / "7" / OVERDUE_RECORD
    job = FileJob("f.warc.gz", 7, str(tmp_path / "7"), IngestConfig(db=str(tmp_path / "s.duckdb")), overdue_file=str(overdue))
    overdue.write_text("4242\n")
    rerun = _died(job, pool.DIED)
    assert rerun == pool.Retry(replace(job, slow_records=(4242,)))  # no watched rerun needed: the record is known
    # that rerun died too, but not on a record past the limit (none new in the file): hunt what killed it
    watched = _died(rerun.task, pool.DIED)
    assert watched == pool.Retry(replace(rerun.task, watch=str(tmp_path / "7" / CURRENT_RECORD)))
    overdue.write_text("4242\n77\n")  # a second record of the file ran past the limit
    assert _died(watched.task, pool.DIED) == pool.Retry(replace(watched.task, slow_records=(77, 4242)))


def test_the_limit_is_positive_or_off():
    assert IngestConfig(record_timeout=None).record_timeout is None
    assert IngestConfig(record_timeout=0).record_timeout is None  # off, as --record-timeout 0 says
    for bad in (-1, 1e-300, float("inf"), float("nan")):
        with pytest.raises(UsageError, match="--record-timeout must be a number of seconds"):
            IngestConfig(record_timeout=bad)


@needs_watchdog
def test_only_the_stalling_record_is_skipped_where_records_share_an_offset(tmp_path):
    # in a whole-file gzip member after the first, every record has the member's offset: a record is
    # known to its reruns by its number, not its offset
    from provenance.ingest.pipeline import ingest
    from tests.conftest import gz

    stalling = warc_record("response", http_response(STALLING_PAGE), "https://x.example.org/stall",
                           content_type="application/http; msgtype=response")
    first = [warcinfo(), *(response_record(i) for i in range(5))]
    second = [*(response_record(10 + i) for i in range(5)), stalling, *(response_record(20 + i) for i in range(5))]
    slow = tmp_path / "two-members.warc.gz"
    slow.write_bytes(gz(b"".join(first)) + gz(b"".join(second)))
    other = tmp_path / "ok.warc.gz"
    other.write_bytes(gz(b"".join([warcinfo(), response_record(100)])))
    db = str(tmp_path / "s.duckdb")
    summary = ingest([str(slow), str(other)], IngestConfig(db=db, workers=2, record_timeout=1.0))

    assert (summary.ingested, summary.failed, summary.documents) == (2, 0, 16)
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT kind FROM ingest_errors").fetchall() == [("timeout",)] and s.check() == []


# Lexbor rebuilds each open formatting element in every block after it (distinct attributes defeat
# the spec's cap of three alike): these 90 KB would become 4 million elements, ~1.6 GB
SWELLING_PAGE = ("<html><body><section>" + "".join(f"<b c={i}>" for i in range(1000)) + "</section>"
                 + "<section>x</section>" * 4000 + "</body></html>").encode()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA as Linux counts it")
def test_a_record_whose_parse_swells_past_the_worker_memory_is_skipped_and_the_rest_lands(make_warc, tmp_path):
    _, kind, reason = _ingest_with_one_bad_record(make_warc, tmp_path, SWELLING_PAGE, worker_memory_mb=1024)
    assert kind == "memory" and "--worker-memory 1024 MiB" in reason


def test_the_worker_memory_is_at_least_1024_mib_or_off():
    assert IngestConfig(worker_memory_mb=None).worker_memory_mb is None
    with pytest.raises(UsageError, match="--worker-memory must be at least 1024 MiB"):
        IngestConfig(worker_memory_mb=1000)


def test_a_file_whose_batches_need_more_than_the_worker_memory_fails_with_one_clear_line(make_warc, tmp_path, monkeypatch):
    from provenance.ingest import jobs, worker

    def starved(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(worker, "build_tables", starved)  # as if a batch's features ran past the budget
    path = make_warc("a.warc.gz", [warcinfo(), response_record(1)])
    # process_file: what the store's pool (run_job) and the shard executors (scale/task.py) both run
    res = worker.process_file(jobs.FileJob(str(path), 1, str(tmp_path / "1"), IngestConfig(db=str(tmp_path / "s.duckdb"))))
    [fault] = res.faults
    assert (res.status, res.n_docs, res.parts) == ("failed", 0, {}) and fault.kind == "memory"
    assert "--worker-memory 4096 MiB is too small for its batches" in fault.reason


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA as Linux counts it")
def test_the_worker_memory_holds_where_a_single_small_file_is_read_in_the_ingests_own_process(make_warc, tmp_path):
    import resource

    from provenance.ingest.pipeline import ingest

    records = [warcinfo(), *(response_record(i) for i in range(5))]
    records.insert(3, warc_record("response", http_response(SWELLING_PAGE), "https://x.example.org/bad",
                                  content_type="application/http; msgtype=response"))
    path = make_warc("one.warc.gz", records)
    assert pool.in_process([str(path)])
    before = resource.getrlimit(resource.RLIMIT_DATA)
    db = str(tmp_path / "s.duckdb")
    summary = ingest([str(path)], IngestConfig(db=db, workers=2, worker_memory_mb=1024))

    assert (summary.ingested, summary.failed, summary.documents) == (1, 0, 5)
    assert resource.getrlimit(resource.RLIMIT_DATA) == before  # lifted once the file was read
    with Store(db, read_only=True) as s:
        [(kind, reason)] = s.sql("SELECT kind, reason FROM ingest_errors").fetchall()
    assert kind == "memory" and "--worker-memory 1024 MiB" in reason


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA as Linux counts it")
def test_a_page_whose_parse_leaves_under_a_third_of_the_budget_is_refused_before_the_text_extraction(monkeypatch):
    # resiliparse's extraction is Rust and aborts the process when an allocation fails: a page whose
    # tree leaves too little room must fail before it, as a MemoryError (the record's fault)
    from provenance.ingest import extract, memory

    monkeypatch.setattr(extract, "SLOW_PARSE_S", -1.0)  # every parse counts as slow
    body = b"<html><body><p>" + b"word " * 500 + b"</p></body></html>"
    with memory.budget(1024 << 20):
        assert extract._from_body(body, "text/html", "utf-8", None).text.startswith("word")  # room enough
        hog = bytearray(800 << 20)  # leaves ~224 MiB of 1,024
        with pytest.raises(MemoryError, match="MiB of the memory budget left"):
            extract._from_body(body, "text/html", "utf-8", None)
        del hog
    memory.require_headroom()  # no budget in force: nothing to refuse
