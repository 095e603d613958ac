"""Worker processes (pool.py): a worker that dies costs only the file it was reading."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from provenance.ingest import pool
from provenance.store import Store
from tests.conftest import ROOT, alive, children, descendants, response_record, warcinfo
from tests.ingest import pool_tasks


@pytest.mark.parametrize("in_flight", [512, 3])  # 3: most tasks are not yet submitted when the worker dies
def test_a_task_that_kills_its_worker_every_time_is_reported_and_every_other_task_completes(monkeypatch, in_flight):
    monkeypatch.setattr(pool, "MAX_IN_FLIGHT", in_flight)
    tasks = [f"t{i}" for i in range(5)] + ["die:x"] + [f"t{i}" for i in range(5, 9)]
    results = list(pool.run(pool_tasks.echo_or_die, tasks, 2, pool_tasks.died))
    assert sorted(results) == sorted([f"done t{i}" for i in range(9)] + [f"died die:x: {pool.DIED}"])


@pytest.mark.parametrize("in_flight", [512, 2])
def test_two_deadly_tasks_in_flight_together_are_both_told_apart_from_the_innocent(tmp_path, monkeypatch, in_flight):
    monkeypatch.setattr(pool, "MAX_IN_FLIGHT", in_flight)
    tasks = ["die:a", "die:b", *(f"t{i}" for i in range(8))]  # more than the 2 * 2 + 1 rerun alone: the rest go on in a new pool
    results = list(pool.run(pool_tasks.echo_or_die, tasks, 2, pool_tasks.died))
    assert sorted(results) == sorted([*(f"done t{i}" for i in range(8)), f"died die:a: {pool.DIED}", f"died die:b: {pool.DIED}"])


def test_a_worker_killed_once_from_outside_costs_nothing_its_task_is_rerun(tmp_path):
    tasks = ["t1", f"once:{tmp_path / 'killed'}", "t2", "t3"]
    results = list(pool.run(pool_tasks.echo_or_die, tasks, 2, pool_tasks.died))
    assert sorted(results) == sorted([f"done {t}" for t in tasks])
    assert (tmp_path / "killed").exists()  # it really was killed once


def test_no_more_tasks_than_the_bound_are_submitted_at_once_and_all_complete(monkeypatch):
    submitted, most = [], []
    real = pool.ProcessPoolExecutor.submit

    def submit(self, fn, task):
        submitted.append(task)
        fut = real(self, fn, task)
        most.append(sum(not f.done() for f in live))
        live.append(fut)
        return fut

    live: list = []
    monkeypatch.setattr(pool.ProcessPoolExecutor, "submit", submit)
    monkeypatch.setattr(pool, "MAX_IN_FLIGHT", 4)
    tasks = [f"t{i}" for i in range(40)]
    assert sorted(pool.run(pool_tasks.echo_or_die, tasks, 2, pool_tasks.died)) == sorted(f"done {t}" for t in tasks)
    assert submitted == tasks and max(most) < 4  # in order, and at most 3 others unfinished as one is submitted


def test_a_result_that_cannot_come_back_becomes_a_one_line_internal_error():
    results = list(pool.run(pool_tasks.raise_unpicklable, ["a", "bad", "b"], 2, pool_tasks.died))
    assert "done a" in results and "done b" in results
    [bad] = [r for r in results if r.startswith("died bad")]
    assert "internal error in the worker: TypeError: Unpicklable.__init__() missing" in bad and "\n" not in bad


def test_workers_see_the_environment_of_when_the_pool_is_made_not_of_when_the_forkserver_started(monkeypatch):
    list(pool.run(pool_tasks.environment, ["HOME", "HOME"], 2, pool_tasks.died))  # the forkserver runs by now
    monkeypatch.setenv("PROVENANCE_TEST_LATE", "set after the forkserver started")
    results = list(pool.run(pool_tasks.environment, ["PROVENANCE_TEST_LATE", "PROVENANCE_TEST_LATE"], 2, pool_tasks.died))
    assert results == ["set after the forkserver started"] * 2


def test_the_worker_forkserver_never_imports_duckdb_or_polars():
    # Workers are forked from the process that imports provenance.ingest.preload; DuckDB's and
    # polars' thread pools would not survive that fork.
    code = "import sys, provenance.ingest.preload; print(sorted(m for m in ('duckdb', 'polars') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert out.strip() == "[]"


def _worker_pids(ingest_pid: int) -> list[int]:
    """The ingest's workers: children of its forkserver (itself a child of the ingest)."""
    return [w for server in children(ingest_pid) for w in children(server)]


def test_an_ingest_whose_worker_is_killed_mid_file_still_ends_with_exactly_a_clean_runs_documents(make_warc, tmp_path):
    small = make_warc("a-small.warc.gz", [warcinfo(), *(response_record(i) for i in range(50))])
    big = make_warc("b-big.warc.gz", [warcinfo(), *(response_record(i + 1000) for i in range(6000))])
    other = make_warc("c-other.warc.gz", [warcinfo(), *(response_record(i + 9000) for i in range(80))])
    db = str(tmp_path / "killed.duckdb")
    cmd = [sys.executable, "-m", "provenance", "ingest", str(small), str(big), str(other), "--db", db, "--workers", "2", "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    staging_big = tmp_path / "killed.duckdb.staging" / "2"
    deadline = time.time() + 120
    while time.time() < deadline and not (staging_big.exists() and any(staging_big.glob("documents-*"))):
        time.sleep(0.02)
    assert proc.poll() is None, "ingest finished before a worker could be killed mid-file"
    workers = _worker_pids(proc.pid)
    assert workers, "no worker processes found"
    killed = 0
    for pid in workers:  # both workers: the one reading the big file is among them
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:  # (one that ended between the listing and the kill: a race, seen once in CI)
            pass
    assert killed, f"every worker listed ({workers}) had ended before it could be killed"
    out, err = proc.communicate(timeout=300)

    assert proc.returncode == 0, err
    assert "Traceback" not in err
    summary = json.loads(out)
    assert (summary["ingested"], summary["failed"], summary["documents"]) == (3, 0, 6130)
    clean = str(tmp_path / "clean.duckdb")
    subprocess.run([*cmd[:-5], "--db", clean, "--workers", "1"], env=env, check=True, stdout=subprocess.DEVNULL)
    snapshot = "SELECT url, year, n_tokens, text_hash, record_offset FROM documents ORDER BY url"
    with Store(db, read_only=True) as a, Store(clean, read_only=True) as b:
        assert a.check() == []
        assert a.sql(snapshot).fetchall() == b.sql(snapshot).fetchall()
        assert a.sql("SELECT count(*) FROM texts").fetchone() == b.sql("SELECT count(*) FROM texts").fetchone() == (6130,)


def test_a_rerun_alone_may_change_the_task_and_gives_up_after_max_retries():
    results = sorted(pool.run(pool_tasks.echo_or_die, ["die:x", "ok"], 2, pool_tasks.retry_forever))
    assert results == ["done ok", f"gave up on die:x{'+' * pool.MAX_RETRIES}: {pool.GAVE_UP}"]


def test_a_record_that_kills_its_worker_is_found_and_skipped_and_the_rest_of_its_file_lands(make_warc, tmp_path, monkeypatch):
    from provenance.config import IngestConfig
    from provenance.ingest import pipeline

    records = [warcinfo(), *(response_record(i) for i in range(40))]
    records.insert(20, response_record(999, url="https://x.example.org/deadly"))
    deadly = make_warc("deadly.warc.gz", records)
    others = [make_warc(f"ok{k}.warc.gz", [warcinfo(), *(response_record(i + 100 * k) for i in range(30))]) for k in (1, 2)]
    monkeypatch.setattr(pipeline, "run_job", pool_tasks.run_job_with_a_deadly_record)  # what the pool runs in each worker
    db = str(tmp_path / "s.duckdb")
    summary = pipeline.ingest([str(deadly), *map(str, others)], IngestConfig(db=db, workers=2))

    assert (summary.ingested, summary.failed, summary.documents) == (3, 0, 100)
    with Store(db, read_only=True) as s:
        [(path, kind, offset, reason)] = s.sql("SELECT path, kind, \"offset\", reason FROM ingest_errors").fetchall()
        [(deadly_offset,)] = s.sql("SELECT min(record_offset) FROM documents WHERE url LIKE '%/page/20'").fetchall()
        assert s.check() == []
    assert path == str(deadly) and kind == "crash" and "crashed the worker" in reason
    assert 0 < offset < deadly_offset  # the record just before page 20: the deadly one


def test_a_single_large_file_is_read_by_a_worker_so_a_record_that_kills_it_is_skipped_not_the_end_of_the_run(make_warc, tmp_path, monkeypatch):
    from provenance.config import IngestConfig
    from provenance.ingest import pipeline

    records = [warcinfo(), *(response_record(i) for i in range(30))]
    records.insert(10, response_record(999, url="https://x.example.org/deadly"))
    deadly = make_warc("deadly.warc.gz", records)
    assert pool.in_process([str(deadly)])  # small: read in-process, where such a record would end the run
    monkeypatch.setattr(pool, "IN_PROCESS_MAX_BYTES", deadly.stat().st_size)  # now it counts as large
    assert not pool.in_process([str(deadly)])
    monkeypatch.setattr(pipeline, "run_job", pool_tasks.run_job_with_a_deadly_record)
    db = str(tmp_path / "s.duckdb")
    summary = pipeline.ingest([str(deadly)], IngestConfig(db=db, workers=1))

    assert (summary.ingested, summary.failed, summary.documents) == (1, 0, 30)
    with Store(db, read_only=True) as s:
        assert s.sql("SELECT kind FROM ingest_errors").fetchall() == [("crash",)]


def test_a_death_outside_any_record_fails_the_file_after_one_watched_rerun(tmp_path):
    from dataclasses import replace

    from provenance.config import IngestConfig
    from provenance.ingest.jobs import CURRENT_RECORD, FileJob
    from provenance.ingest.pipeline import _died

    job = FileJob("f.warc.gz", 7, str(tmp_path / "7"), IngestConfig(db=str(tmp_path / "s.duckdb")))
    first = _died(job, pool.DIED)
    assert first == pool.Retry(replace(job, watch=str(tmp_path / "7" / CURRENT_RECORD)))  # rerun, watching which record it reads
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / CURRENT_RECORD).write_text(f"{-1:>20d}\n")  # it died between records (the reader, a batch)
    failed = _died(first.task, pool.DIED)
    assert failed.status == "failed" and [f.kind for f in failed.faults] == ["worker"]
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / CURRENT_RECORD).write_text(f"{4242:>20d}\n")
    assert _died(first.task, pool.DIED) == pool.Retry(replace(first.task, skip_records=(4242,)))
    assert _died(replace(first.task, skip_records=(4242,)), pool.DIED).status == "failed"  # the same record again: not a record's fault


def test_a_forkserver_that_dies_as_it_starts_a_worker_costs_a_new_pool_not_the_run(monkeypatch):
    # the pool's submit raised EOFError (the forkserver's pipe closed before it sent the new worker's pid): the run
    # ended as "Aborted." with exit code 1
    from multiprocessing import forkserver

    real, failures = forkserver.read_signed, []

    def dies_twice(fd):
        value = real(fd)
        if len(failures) < 2 and value > 0:  # a new worker's pid: kill it, and say what a dead forkserver says
            failures.append(value)
            os.kill(value, signal.SIGKILL)
            raise EOFError("unexpected EOF")
        return value

    monkeypatch.setattr(forkserver, "read_signed", dies_twice)
    tasks = [f"t{i}" for i in range(6)]
    assert sorted(pool.run(pool_tasks.echo_or_die, tasks, 2, pool_tasks.died)) == sorted(f"done {t}" for t in tasks)
    assert len(failures) == 2


def test_results_settled_before_a_worker_fails_to_start_are_handed_back_not_lost(monkeypatch):
    # a top-up's submit (after the first results) raised what a dead forkserver raises: the settled results were
    # dropped with the pool, and their files were never committed nor counted
    real, submits = pool.ProcessPoolExecutor.submit, []

    def submit(self, fn, task):
        submits.append(task)
        if len(submits) == 3:
            raise ConnectionError("forkserver gone")
        return real(self, fn, task)

    monkeypatch.setattr(pool.ProcessPoolExecutor, "submit", submit)
    monkeypatch.setattr(pool, "MAX_IN_FLIGHT", 2)
    tasks = [f"t{i}" for i in range(6)]
    assert sorted(pool.run(pool_tasks.echo_or_die, tasks, 1, pool_tasks.died)) == sorted(f"done {t}" for t in tasks)


def test_a_forkserver_that_never_starts_a_worker_is_one_line(monkeypatch):
    import pytest

    from provenance.errors import ProvenanceError

    original = pool._pool
    monkeypatch.setattr(pool, "_pool", lambda workers: _Refusing(original(workers)))
    with pytest.raises(ProvenanceError, match="^cannot start worker processes: EOFError: unexpected EOF$"):
        list(pool.run(pool_tasks.echo_or_die, ["a", "b"], 2, pool_tasks.died))


class _Refusing:
    """A pool whose workers never start (as when its forkserver dies at each one)."""

    def __init__(self, inner):
        self.inner = inner

    def submit(self, *args, **kwargs):
        raise EOFError("unexpected EOF")

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.inner.__exit__(*exc)


def test_a_signal_as_the_pools_manager_thread_starts_ends_the_run_with_that_signal_not_a_traceback(monkeypatch):
    """A SIGTERM or Ctrl-C raised inside Thread.start() (it waits for the new thread): the pool's shutdown then
    raised "cannot join thread before it is started", twice, and its traceback replaced the ingest's one line."""
    from concurrent.futures import process

    def start(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(process._ExecutorManagerThread, "start", start)
    with pytest.raises(KeyboardInterrupt):
        list(pool.run(pool_tasks.echo_or_die, ["a", "b"], 2, pool_tasks.died))


def test_a_worker_that_finds_its_ingest_gone_as_it_starts_prints_nothing_and_other_endings_one_line():
    """The forkserver prints what ends a worker outside any task through sys.excepthook: a SIGTERM while workers
    were forked printed a child's 15-line traceback (its pool's semaphore gone) under the ingest's own line. Any other
    ending (a job runner's script deleted before its workers re-ran it) is one line, with where it was raised."""
    code = """
import sys
from multiprocessing import synchronize
from provenance.ingest import preload
assert sys.excepthook is preload._one_line
def report(fn):
    try:
        fn()
    except Exception as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
def semaphore_gone():  # what unpickling the pool's call queue meets once the ingest removed it
    synchronize.Semaphore.__new__(synchronize.Semaphore).__setstate__((0, 1, 1, "/mp-provenance-no-such-semaphore"))
def script_gone():
    open("/no/such/dir/job.py")
def bootstrapping():
    raise RuntimeError("\\n        An attempt has been made to start a new process\\n        before...")
report(semaphore_gone)
report(script_gone)
report(bootstrapping)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 2, out.stderr
    assert lines[0].startswith("provenance: a worker process ended: FileNotFoundError: [Errno 2] No such file or directory: "
                               "'/no/such/dir/job.py' (<string>, line ")
    assert lines[1].startswith("provenance: a worker process ended: RuntimeError: An attempt has been made to start a new process (")


def test_a_task_submitted_as_the_pool_breaks_is_rerun_not_waited_for_forever(monkeypatch):
    """CPython's pool fails its pending tasks without the submit lock when a worker dies: a task submitted in that
    moment (a top-up) was never run nor failed, and the run waited for it forever. Here such a task is made by hand."""
    import threading
    from concurrent.futures import Future

    real, orphaned = pool.ProcessPoolExecutor.submit, []

    def submit(self, fn, task):
        if task == "orphan" and not orphaned:
            orphaned.append(Future())  # in no pool's queue: only the run's own check can settle it
            return orphaned[-1]
        return real(self, fn, task)

    monkeypatch.setattr(pool.ProcessPoolExecutor, "submit", submit)
    monkeypatch.setattr(pool, "ORPHAN_GRACE", 0.3)
    results: list = []
    run = threading.Thread(target=lambda: results.extend(pool.run(pool_tasks.echo_or_die, ["die:x", "orphan", "t1"], 2,
                                                                     pool_tasks.died)), daemon=True)
    run.start()
    run.join(120)
    assert not run.is_alive()
    assert sorted(results) == sorted(["done orphan", "done t1", f"died die:x: {pool.DIED}"])


def test_an_ingest_typed_on_the_command_line_starts_the_workers_forkserver_before_typer_parses_its_options(monkeypatch, tmp_path):
    # typer's parsing imports pydantic (~0.25 s): the forkserver's imports (~0.6 s) overlap it and the store's opening
    from provenance.cli.ingest_cmds import start_workers_early

    started: list[tuple[list[str], str | None]] = []
    monkeypatch.setattr(pool, "start_for", lambda paths, tokenizer=None: started.append((paths, tokenizer)))
    start_workers_early(["ingest", "a.warc.gz", "--db", "x.duckdb", "--json", "crawl/", "--workers=2", "--lang", "en", "--force",
                         "--no-text", "--", "-odd.warc.gz"])
    start_workers_early(["ingest", "a.warc.gz", "--tokenizer", str(tmp_path)])  # the forkserver loads it for its workers
    assert started == [(["a.warc.gz", "crawl/", "-odd.warc.gz"], None),  # option values are not paths; after "--" all are
                       (["a.warc.gz"], str(tmp_path))]


@pytest.mark.parametrize("args", [["info"], ["sql", "SELECT 1"], ["ingest", "a.warc.gz", "--help"], ["ingest", "-h"],
                                  ["ingest", "a.warc.gz", "--output", "shards/"], ["ingest", "--output=s3://b/x", "a.warc.gz"],
                                  ["ingest", "--db", "x.duckdb"], ["ingest", "a.warc.gz", "--db", ":memory:"], ["ingest", "--db=", "a.warc.gz"],
                                  ["ingest", "a.warc.gz", "--tokenizer", "/no/such/tokenizer"], ["ingest", "a.warc.gz", "--wrokers", "2"],
                                  ["ingest", "--executor=ray", "a.warc.gz"], ["ingest", "a.warc.gz", "--workers", "abc"],
                                  ["ingest", "a.warc.gz", "--sample-rate=half"], ["ingest", "a.warc.gz", "--json=1"], ["ingest", "a.warc.gz", "--lang"]])
def test_no_forkserver_is_started_early_for_a_run_that_forks_no_workers_or_fails_first(monkeypatch, args):
    # (a forkserver started for a usage error, or a tokenizer not found, cost ~0.6 CPU-s before the one-line error)
    from provenance.cli.ingest_cmds import start_workers_early

    started: list[list[str]] = []
    monkeypatch.setattr(pool, "start_for", lambda paths, tokenizer=None: started.append(paths))
    start_workers_early(args)
    assert started == []


def test_a_store_in_memory_by_the_environment_or_a_tokenizer_not_found_starts_no_forkserver_at_all(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from provenance.cli import app
    from provenance.cli.ingest_cmds import start_workers_early

    started: list[list[str]] = []
    monkeypatch.setattr(pool, "start_for", started.append)
    monkeypatch.setenv("PROVENANCE_DB", ":memory:")
    start_workers_early(["ingest", "a.warc.gz"])
    monkeypatch.delenv("PROVENANCE_DB")
    res = CliRunner().invoke(app, ["ingest", "a.warc.gz", "--db", str(tmp_path / "s.duckdb"), "--tokenizer", str(tmp_path / "none")])
    assert res.exit_code == 2 and "--tokenizer" in res.stderr
    assert started == []  # (the command itself started it before it checked the tokenizer)


def test_the_early_start_knows_which_options_of_ingest_take_a_value_and_which_none():
    # a flag missing here would take the next path for its value (that path would not decide the forkserver), and an
    # option missing from either would be taken for an unknown one (no early start)
    import typer

    from provenance.cli import app
    from provenance.cli.ingest_cmds import FLAGS, VALUED

    command = typer.main.get_command(app).commands["ingest"]
    options = [p for p in command.params if p.param_type_name == "option"]
    assert {name for p in options if p.is_flag for name in (*p.opts, *p.secondary_opts)} | {"-h", "--help"} == FLAGS
    assert {name for p in options if not p.is_flag for name in (*p.opts, *p.secondary_opts)} == VALUED


def test_an_ingest_leaves_no_process_behind(make_warc, tmp_path):
    # its forkserver is killed at exit (its orderly exit took ~0.13 s that each run waited for), and reaped
    files = [make_warc(f"{i}.warc.gz", [warcinfo(), *(response_record(100 * i + k) for k in range(20))]) for i in range(3)]
    proc = subprocess.Popen([sys.executable, "-m", "provenance", "ingest", *map(str, files), "--db", str(tmp_path / "s.duckdb"),
                             "--workers", "2", "--json"], env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[int] = set()
    while proc.poll() is None:
        seen.update(descendants(proc.pid))
        time.sleep(0.01)
    out, err = proc.communicate()
    assert proc.returncode == 0 and err == "", err
    assert json.loads(out)["documents"] == 60
    assert len(seen) >= 3, "the forkserver, its workers and the resource tracker were not all seen"
    deadline = time.time() + 30  # (the resource tracker ends as it reads the end of its pipe, just after)
    while time.time() < deadline and any(alive(p) for p in seen):
        time.sleep(0.05)
    assert not [p for p in seen if alive(p)]


def test_the_workers_forkserver_starts_no_blas_threads_unless_the_user_asks():
    """numpy's OpenBLAS starts a thread per core as it is imported, each spinning ~0.1 CPU-s before it sleeps (~6 CPU-s
    of a 64-core machine): the forkserver, which imports numpy for its workers, starts none (a worker per core is the
    parallelism), unless the user set OPENBLAS_NUM_THREADS. (Its first fork would end them: they are counted before.)"""
    code = """
import os, time
from multiprocessing import forkserver
from provenance.ingest import pool
pool.start()
pid = forkserver._forkserver._forkserver_pid
deadline = time.monotonic() + 60
while "openblas" not in open(f"/proc/{pid}/maps").read() and time.monotonic() < deadline:
    time.sleep(0.05)  # until numpy is loaded, and so its threads started
time.sleep(0.2)
print([open(f"/proc/{pid}/task/{t}/comm").read().strip() for t in os.listdir(f"/proc/{pid}/task")])
"""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}

    def forkserver_threads() -> list[str]:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
        assert out.returncode == 0, out.stderr
        return [name for name in eval(out.stdout) if name != "jemalloc_bg_thd"]  # (pyarrow's allocator's thread aside)

    assert forkserver_threads() == ["python"]  # its own thread alone
    env["OPENBLAS_NUM_THREADS"] = "2"  # the user's setting stands: one more thread
    assert forkserver_threads() == ["python", "python"]


def test_a_broken_pool_shuts_down_though_a_worker_outlived_its_termination(monkeypatch):
    """CPython's pool, broken by a worker's death, terminates the workers it knows, then waits for all of them: a worker
    started in between (a top-up for a task submitted as the other died) was never terminated and waited for its next
    task forever, and so did the shutdown (a run hung at its end; seen as a test run under load that never exited).
    Made so here: the manager's stop misses the pool's other worker (no terminate, no sentinel)."""
    import multiprocessing.process
    import threading
    from concurrent.futures import process as cf_process
    from concurrent.futures.process import BrokenProcessPool

    executor = pool._pool(2)
    first = [executor.submit(pool_tasks.echo_or_die, f"t{i}") for i in range(2)]
    assert sorted(f.result(timeout=120) for f in first) == ["done t0", "done t1"]
    workers = [p for p in executor._processes.values() if p.is_alive()]  # (private, present since 3.2)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "terminate", lambda self: None)  # the manager stops none of them:
    monkeypatch.setattr(cf_process._ExecutorManagerThread, "shutdown_workers", lambda self: None)  # nor sends it a sentinel
    with pytest.raises(BrokenProcessPool):
        executor.submit(pool_tasks.echo_or_die, "die:x").result(timeout=120)
    done = threading.Event()
    threading.Thread(target=lambda: (pool._shutdown(executor), done.set()), daemon=True).start()
    try:
        assert done.wait(60), "the shutdown waited for a worker nobody stops"
    finally:
        for process in workers:
            process.kill()
