"""An ingest tells how far it has got while it runs: bytes and documents read, also inside a file, and files ended."""
from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from provenance.config import IngestConfig
from provenance.ingest.jobs import FileJob, FileResult, run_job
from provenance.ingest.pipeline import ingest
from provenance.ingest import progress, streams
from provenance.ingest.progress import Meter, Progress, ReadMeter, read_progress
from provenance.scale import ingest_shards
from tests.conftest import response_record, warcinfo


class Told(Progress):
    """What an ingest told, in order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: list[tuple[int, int | None]] = []
        self.ended: list[tuple[str, str, int]] = []
        self.reads: list[tuple[int, int]] = []

    def start(self, files, size):
        self.started.append((files, size))

    def file(self, res, files):
        with self.lock:
            self.ended.append((res.path, res.status, files))

    def read(self, size, docs):
        with self.lock:
            self.reads.append((size, docs))


def _three_files(make_warc, tmp_path):
    a = make_warc("CC-MAIN-20190817-a.warc.gz", [warcinfo(), *(response_record(i) for i in range(40))])
    b = make_warc("CC-MAIN-20190817-b.warc.gz", [warcinfo(), *(response_record(100 + i) for i in range(25))])
    return [str(a), str(b), str(tmp_path / "missing.warc.gz")], a.stat().st_size + b.stat().st_size


def test_a_worker_writes_how_far_it_has_read_its_file_into_its_progress_file(make_warc, tmp_path):
    path = make_warc("CC-MAIN-20190817-a.warc.gz", [warcinfo(), *(response_record(i) for i in range(30))])
    progress_file = tmp_path / "7"  # (the driver makes its folder)
    res = run_job(FileJob(str(path), 7, str(tmp_path / "staging"), IngestConfig(db=str(tmp_path / "s.duckdb")),
                          progress_file=str(progress_file)))
    assert res.status == "done" and res.n_docs == 30
    assert read_progress(progress_file) == (path.stat().st_size, 30)  # the end of the file, and its documents


def test_a_worker_writes_its_progress_as_it_reads_not_only_at_the_end(make_warc, tmp_path, monkeypatch):
    path = make_warc("CC-MAIN-20190817-a.warc.gz", [warcinfo(), *(response_record(i) for i in range(150))])
    said = []
    real = ReadMeter.at
    monkeypatch.setattr(progress, "WRITE_EVERY_S", 0.0)
    monkeypatch.setattr(streams, "READ_SIZE", 4096)  # (1 MiB reads: this file's first is its whole)
    monkeypatch.setattr(ReadMeter, "at", lambda self, pos, docs, final=False: (said.append((pos, docs, final)), real(self, pos, docs, final)))
    run_job(FileJob(str(path), 7, str(tmp_path / "staging"), IngestConfig(db=str(tmp_path / "s.duckdb")),
                    progress_file=str(tmp_path / "7")))
    size = path.stat().st_size
    # as it reaches record 64 (a warcinfo record, then 62 documents before it) and 128, then at the end
    assert [(docs, final) for _, docs, final in said] == [(62, False), (126, False), (150, True)]
    assert 0 < said[0][0] < said[1][0] < size == said[2][0]


def test_a_progress_file_that_cannot_be_written_leaves_the_file_read_as_ever(make_warc, tmp_path):
    path = make_warc("CC-MAIN-20190817-a.warc.gz", [warcinfo(), *(response_record(i) for i in range(3))])
    res = run_job(FileJob(str(path), 7, str(tmp_path / "staging"), IngestConfig(db=str(tmp_path / "s.duckdb")),
                          progress_file=str(tmp_path / "gone" / "7")))  # its folder went with its run
    assert (res.status, res.n_docs, res.faults) == ("done", 3, [])


def test_a_progress_file_read_while_it_is_written_says_nothing(tmp_path):
    (tmp_path / "7").write_bytes(f"{1000:>20d} {9:>20d} {999:>20d} {9:>20d} \n".encode())  # a write half done
    assert read_progress(tmp_path / "7") is None and read_progress(tmp_path / "8") is None


def test_a_worker_without_a_progress_file_writes_none(make_warc, tmp_path):
    path = make_warc("CC-MAIN-20190817-a.warc.gz", [warcinfo(), response_record(1)])
    before = set(tmp_path.rglob("*"))
    res = run_job(FileJob(str(path), 7, str(tmp_path / "staging"), IngestConfig(db=str(tmp_path / "s.duckdb"))))
    written = {p for p in set(tmp_path.rglob("*")) - before if p.is_file()}
    assert written == {Path(part) for parts in res.parts.values() for part in parts}  # its parts, nothing else


def test_an_ingest_tells_the_bytes_and_documents_it_read_and_each_file_that_ended(make_warc, tmp_path):
    paths, size = _three_files(make_warc, tmp_path)
    told = Told()
    summary = ingest(paths, IngestConfig(db=str(tmp_path / "s.duckdb"), workers=1), told)
    assert summary.documents == 65 and summary.failed == 1
    assert told.started == [(3, size)]  # the missing file has no bytes
    assert sorted(told.ended) == sorted([(p, "done", 3) for p in paths[:2]] + [(paths[2], "failed", 3)])
    assert told.reads == sorted(told.reads) and told.reads[-1] == (size, 65)  # never decreasing; all of it in the end


def test_a_rerun_of_files_unchanged_since_their_ingest_has_nothing_to_read(make_warc, tmp_path):
    paths, size = _three_files(make_warc, tmp_path)
    config = IngestConfig(db=str(tmp_path / "s.duckdb"), workers=1)
    ingest(paths[:2], config)
    told = Told()
    assert ingest(paths[:2], config, told).skipped == 2
    assert told.started == [(2, 0)] and len(told.ended) == 2 and told.reads in ([], [(0, 0)])  # no rate from bytes not read


def test_a_file_whose_name_is_not_utf8_counts_its_bytes(make_warc, tmp_path):
    path = make_warc("CC-MAIN-20190817-a.warc.gz", [warcinfo(), *(response_record(i) for i in range(3))])
    odd = tmp_path / os.fsdecode(b"caf\xe9.warc.gz")
    path.rename(odd)
    told = Told()
    ingest([str(odd)], IngestConfig(db=str(tmp_path / "s.duckdb"), workers=1, force=True), told)
    assert told.reads[-1] == (odd.stat().st_size, 3)


def test_documents_read_count_those_that_lang_left_out(make_warc, tmp_path):
    paths, size = _three_files(make_warc, tmp_path)
    told = Told()
    summary = ingest(paths[:2], IngestConfig(db=str(tmp_path / "s.duckdb"), workers=1, langs=("de",)), told)
    assert summary.documents == 0 and summary.lang_filtered == 65
    assert told.reads[-1] == (size, 65)  # read, then left out: the bar does not go back


def test_the_meter_counts_files_being_read_once_and_never_goes_back(tmp_path):
    inputs = [tmp_path / "a", tmp_path / "b"]
    inputs[0].write_bytes(b"x" * 1000)
    inputs[1].write_bytes(b"y" * 500)
    told = Told()
    meter = Meter(told, tmp_path / "progress", 3, [str(p) for p in inputs])  # (a third file settled without a read)
    assert told.started == [(3, 1500)]
    with ReadMeter(meter.progress_file(1)) as a, ReadMeter(meter.progress_file(2)) as b:
        a.at(400, 3, final=True)
        b.at(100, 1, final=True)
        meter.poll()
        assert told.reads[-1] == (500, 4)
        meter.file(FileResult(str(inputs[0]), 1, n_docs=5, size=1000), 2)  # its last progress file read (400) counts no more
        assert told.reads[-1] == (1100, 6)
        meter.poll()
        assert told.reads[-1] == (1100, 6)
        a.path = str(tmp_path / "progress" / "1")  # a poll that listed its file before file() removed it reads it after
        a.__enter__().at(1000, 5, final=True)
        meter.poll()
        assert told.reads[-1] == (1100, 6)  # an ended file counts once
        b.at(0, 0, final=True)  # a rerun of b after its worker died starts again
        meter.poll()
        assert told.reads[-1] == (1100, 6)
        b.at(500, 9, final=True)
        meter.poll()
    assert told.reads[-1] == (1500, 14)


def test_without_a_progress_nothing_is_sized_or_written(tmp_path):
    meter = Meter(None, tmp_path / "progress", 1, [str(tmp_path / "a")])
    assert meter.progress_file(1) is None
    with meter.polling():
        meter.file(FileResult("a", 1), 1)
    assert not (tmp_path / "progress").exists()


def test_remote_inputs_make_the_total_unknown(tmp_path):
    told = Told()
    Meter(told, tmp_path, 2, ["https://data.commoncrawl.org/a.warc.gz", str(tmp_path)])
    assert told.started == [(2, None)]


def test_a_progress_that_fails_stops_being_told_and_the_run_goes_on(make_warc, tmp_path, monkeypatch):
    class Broken(Told):
        def read(self, size, docs):
            raise OSError("the terminal is gone")

    paths, _ = _three_files(make_warc, tmp_path)
    meter = Meter(Broken(), tmp_path / "progress", 1, paths[:1])
    with ReadMeter(meter.progress_file(1)) as a:
        a.at(10, 1, final=True)
        with meter.polling(every=0.01) as m:
            deadline = time.monotonic() + 30
            while not meter.failed and time.monotonic() < deadline:  # the poll thread meets the failure, and ends quietly
                time.sleep(0.01)
            assert m is meter and meter.failed
            a.at(20, 2, final=True)  # news that the last poll, once the run ends, would tell: it tries no more


def test_shards_tell_their_progress_too(make_warc, tmp_path):
    paths, size = _three_files(make_warc, tmp_path)
    told = Told()
    summary = ingest_shards(paths, IngestConfig(workers=1), str(tmp_path / "out"), progress=told)
    assert summary.documents == 65
    assert told.started == [(3, size)] and len(told.ended) == 3 and told.reads[-1] == (size, 65)


def _on_a_terminal(args: list[str], stdout: object = None) -> str:
    """Run the CLI with its stderr (and stdout, unless given) on a pseudo-terminal; return what the terminal showed."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "provenance", *args], stdout=stdout or follower, stderr=follower,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    out, deadline = b"", time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if not select.select([leader], [], [], 1.0)[0]:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the pty closes when the process ends
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
    assert proc.wait(timeout=10) == 0
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode("utf-8", "replace"))


def test_the_cli_draws_a_bar_of_bytes_files_and_documents_on_a_terminal(make_warc, tmp_path):
    paths, size = _three_files(make_warc, tmp_path)
    text = _on_a_terminal(["ingest", *paths[:2], "--db", str(tmp_path / "s.duckdb"), "--workers", "1"])
    kb = f"{size / 1000:.1f} kB"
    assert f"0.0/{kb}" in text and "0/2 files 0 docs" in text  # drawn before any file ended (later frames: by the clock)
    assert "2 file(s) ingested, 65 documents" in text


def test_the_bar_stays_on_the_terminal_when_stdout_goes_to_a_file(make_warc, tmp_path):
    paths, size = _three_files(make_warc, tmp_path)
    with open(tmp_path / "out.txt", "w") as out:
        text = _on_a_terminal(["ingest", *paths[:2], "--db", str(tmp_path / "s.duckdb"), "--workers", "1"], stdout=out)
    assert "0/2 files 0 docs" in text  # (it was drawn on stdout: into the file, where rich drew nothing)
    assert (tmp_path / "out.txt").read_text().splitlines()[-1].startswith("2 file(s) ingested, 65 documents")
    assert "files" not in (tmp_path / "out.txt").read_text().replace("file(s)", "")


def test_the_bar_fits_80_columns_at_a_crawls_scale():
    """At 80 columns a line that wraps is drawn again below itself at each refresh (a total of 100-999 units did)."""
    import io

    from rich.console import Console

    from provenance.cli import ingest_cmds

    clock = [0.0]
    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None)
    bar = ingest_cmds._bar(console, get_time=lambda: clock[0])
    told = ingest_cmds._BarProgress(bar)
    told.start(90_000, 456_700_000_000)
    told.read(125_000_000_000, 12_000_000)
    clock[0] = 1.0
    for _ in range(37_035):
        told.file(None, 90_000)
    told.read(125_427_000_000, 12_345_680)  # 427 MB/s
    rows = ["".join(seg.text for seg in line).rstrip() for line in console.render_lines(bar.make_tasks_table(bar.tasks))]
    assert len([row for row in rows if row]) == 1, rows  # one line
    for field in ("125.4/456.7 GB", "427.0 MB/s", "37,035/90,000 files", "12,345,680 docs"):
        assert field in rows[0], rows
