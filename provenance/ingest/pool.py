"""Run file tasks in worker processes, where a worker that dies costs only the file it was reading.

On Linux, workers are forked from a forkserver that has already imported and warmed the worker
code (`provenance.ingest.preload`: numpy, pyarrow, resiliparse, the public suffix list), so a
worker starts in milliseconds instead of paying ~0.5 CPU-second of imports, and the forkserver
starts while the writer opens the store. The forkserver never imports DuckDB or polars, whose
threads would make forking unsafe (tested). Elsewhere, or when the forkserver cannot start, spawn.
Workers ignore Ctrl-C: the writer handles it, dropping queued tasks and killing running workers.

When a worker process dies (the OOM killer, a crash in a C extension, a stray SIGKILL),
ProcessPoolExecutor fails every unfinished task at once without saying which one was running.
The tasks that may have been running are then rerun one at a time, each alone in a fresh
single-worker pool: for a task that dies again on its own, `died` gives its result or a changed
task to rerun alone (the ingest reruns carefully, then without the record that killed it); the
others complete, and the remaining tasks continue in a new pool. Each round settles at least the
earliest unfinished task and reruns are bounded, so a run always ends.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import forkserver
from queue import Empty, SimpleQueue
from typing import Callable, Generic, Iterator, TypeVar

from provenance.errors import ProvenanceError, one_line
from provenance.ingest.scratch import alive

T = TypeVar("T")
R = TypeVar("R")

PRELOAD = ["provenance.ingest.preload"]
STOP_WAIT = 10.0  # seconds to wait at exit for the forkserver (and so its workers) to end
DIED = "the worker process died while reading this file (killed, out of memory, or crashed); it died again when retried alone"
GAVE_UP = "the worker process died while reading this file, again after every rerun alone"


def run(fn: Callable[[T], R], tasks: list[T], workers: int, died: Callable[[T, str], "R | Retry[T]"],
        in_process: bool = False) -> Iterator[R]:
    """Yield fn(task) for every task as they finish: in worker processes, or in this one when in_process.

    `died(task, reason)` stands in for the result of a task whose worker died even when run alone,
    or whose result could not be returned (an exception outside fn's own handling); for a dead
    worker it may instead return Retry(changed task), run alone again (at most MAX_RETRIES times).
    """
    for ready in run_ready(fn, tasks, workers, died, in_process):
        yield from ready


def run_ready(fn: Callable[[T], R], tasks: list[T], workers: int, died: Callable[[T, str], "R | Retry[T]"],
              in_process: bool = False) -> Iterator[list[R]]:
    """As run(), but yield together the results that are ready together, in the order they finished:
    a writer slower than its workers then commits the files that waited for it at once."""
    if in_process or not tasks:
        for task in tasks:
            yield [fn(task)]
        return
    queue = list(tasks)
    launches = 0
    while queue:
        unfinished: list[int] = []  # indexes into queue
        settled: set[int] = set()
        with _running(min(workers, len(queue))) as pool:
            ready: list[R] = []  # settled, not yet handed to the caller
            try:
                window = _Window(pool, fn, queue)
                while window.top_up():
                    for i, fut in window.finished():
                        outcome = _outcome(fut, queue[i], died)
                        if isinstance(outcome, _Broken):
                            unfinished.append(i)
                            window.broken = True
                            continue
                        settled.add(i)
                        if isinstance(outcome, Retry):  # what is ready goes first: the reruns alone may take long
                            if ready:
                                yield ready
                                ready = []
                            yield [_alone(fn, outcome.task, died)]
                        else:
                            ready.append(outcome)
                    window.top_up()  # the workers read on while the caller commits
                    if ready:
                        yield ready
                        ready = []
            except LAUNCH_ERRORS as exc:  # the forkserver died as it forked a worker (a stray kill, the OOM killer)
                if ready:  # settled before the failed start (a top-up): theirs to commit, not to read again
                    yield ready
                launches = _launch_failed(pool, exc, launches)
                queue = [task for i, task in enumerate(queue) if i not in settled]  # a new pool (and forkserver) reads the rest
                continue
            except BaseException:  # Ctrl-C, or the caller stopped reading (an error in its commit)
                _abandon(pool)
                raise
        rest = queue[window.submitted:]  # never submitted: the pool broke first
        # Tasks enter the pool's call queue in submission order, at most `workers + 1` ahead of the
        # running ones: whatever was running is among the earliest unfinished 2 * workers + 1.
        order = sorted(unfinished)
        suspects = order[: 2 * min(workers, len(queue)) + 1]
        for i in suspects:
            yield [_alone(fn, queue[i], died)]
        queue = [queue[i] for i in order[len(suspects):]] + rest


MAX_IN_FLIGHT = 512  # tasks submitted to a pool and not yet finished, at most: a crawl's 90,000 files are not all queued at once
ORPHAN_GRACE = 5.0  # seconds a broken pool has to settle its tasks before those left are failed (_Window._fail_orphans)


class _Window:
    """Submits the tasks in order, MAX_IN_FLIGHT at a time, and hands back those that finished."""

    def __init__(self, pool: ProcessPoolExecutor, fn: Callable, tasks: list) -> None:
        self.pool, self.fn, self.tasks = pool, fn, tasks
        self.submitted, self.broken = 0, False
        self.in_flight: dict[Future, int] = {}  # -> index into tasks
        self.done: SimpleQueue[Future] = SimpleQueue()  # each future puts itself here as it finishes

    def top_up(self) -> bool:
        """Submit tasks up to the bound (none once the pool broke); return whether any are in flight."""
        while not self.broken and self.submitted < len(self.tasks) and len(self.in_flight) < MAX_IN_FLIGHT:
            try:
                fut = self.pool.submit(self.fn, self.tasks[self.submitted])
            except BrokenProcessPool:  # a worker died between tasks: what is in flight says so, the rest go to a new pool
                self.broken = True
                break
            self.in_flight[fut] = self.submitted
            self.submitted += 1
            fut.add_done_callback(self.done.put)
        return bool(self.in_flight)

    def finished(self) -> list[tuple[int, Future]]:
        """Wait for a task to finish; return it with all that finished by then, as (index, future)."""
        while True:
            try:
                done = [self.done.get(timeout=ORPHAN_GRACE)]
                break
            except Empty:
                if getattr(self.pool, "_broken", False):  # private, present since 3.3
                    self._fail_orphans()
        while True:
            try:
                done.append(self.done.get_nowait())
            except Empty:
                break
        return [(self.in_flight.pop(fut), fut) for fut in done]

    def _fail_orphans(self) -> None:
        """Fail as broken what a broken pool left unsettled: a submit that raced the pool's breaking (CPython's
        terminate_broken fails the pending tasks without the submit lock) added a task nothing will ever run, and
        the run waited for it forever. A broken pool settles all its own at once."""
        for fut in list(self.in_flight):
            if not fut.done():
                try:
                    fut.set_exception(BrokenProcessPool("the pool broke as this task was submitted"))
                except InvalidStateError:  # settled meanwhile
                    pass


def _abandon(pool: ProcessPoolExecutor) -> None:
    """Stop now: drop the queued tasks and kill the running workers (a rerun redoes their files).

    Without this, leaving the pool's block waits for every queued file to be read first.
    """
    _kill_workers(pool)
    _shutdown(pool, cancel=True)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's live worker processes."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # private, present since 3.2
        if process.is_alive():
            process.kill()


def _shutdown(pool: ProcessPoolExecutor, cancel: bool = False) -> None:
    """pool.shutdown(wait=True), but for a pool whose manager thread a signal caught as it started (Thread.start()
    waits for it, and a SIGTERM or Ctrl-C raised there): its shutdown's join raised RuntimeError, twice, and the
    traceback replaced the ingest's one line. That thread, when it runs, finds the workers killed and ends.
    A broken pool's workers are killed once its manager has not ended by itself (_end_broken)."""
    try:
        if getattr(pool, "_broken", False):  # private, present since 3.3
            _end_broken(pool)
        pool.shutdown(wait=True, cancel_futures=cancel)
    except RuntimeError as exc:
        if "before it is started" not in str(exc):
            raise


BROKEN_POOL_GRACE_S = 0.5  # for a broken pool's manager to end by itself, before its live workers are killed


def _end_broken(pool: ProcessPoolExecutor) -> None:
    """Wait for a broken pool's manager thread to end, killing the pool's live workers while it has not.

    CPython's manager terminates the workers it knows and sends each a sentinel, then waits for all of them: a worker
    started in between (a top-up for a task submitted as another died) got neither and waited for a task forever, and
    so did the shutdown (an ingest hung at its end; a test run under load never exited). The pool is broken: its
    tasks have failed already (and are rerun), so its workers hold nothing to finish."""
    manager = getattr(pool, "_executor_manager_thread", None)  # private, present since 3.9
    while manager is not None and manager.is_alive():
        manager.join(BROKEN_POOL_GRACE_S)
        if manager.is_alive():
            _kill_workers(pool)


@contextmanager
def _running(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool for the block, shut down (waiting for its workers) as it ends."""
    with _main_not_imported():
        pool = _pool(workers)
        try:
            yield pool
        finally:
            _shutdown(pool)


@contextmanager
def _main_not_imported() -> Iterator[None]:
    """Start workers without importing the caller's main module in them, as spawn and forkserver workers otherwise do.

    A user's script without `if __name__ == "__main__":` ran again in every worker, whose call to ingest there
    failed ("an attempt has been made to start a new process before ... bootstrapping"): every file failed as "the
    worker process died". The workers run provenance's code only (run_job and its task, picklable by reference), so
    they need nothing of it; `provenance`'s own console script was imported in each too, for nothing.
    """
    from multiprocessing import spawn

    original = spawn.get_preparation_data

    def prepared(name: str) -> dict:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    spawn.get_preparation_data = prepared
    try:
        yield
    finally:
        spawn.get_preparation_data = original


LAUNCH_ERRORS = (EOFError, ConnectionError)  # what starting a worker raises when the forkserver dies meanwhile
MAX_LAUNCH_FAILURES = 3  # new pools tried after such a failure (connect_to_new_process restarts a dead forkserver)


class WorkerStartError(ProvenanceError):
    """Worker processes cannot be started, again after new pools were tried."""


def _launch_failed(pool: ProcessPoolExecutor, exc: BaseException, launches: int) -> int:
    """Abandon a pool whose worker could not be started; the failures so far, or WorkerStartError past the bound."""
    _abandon(pool)
    if launches + 1 > MAX_LAUNCH_FAILURES:
        raise WorkerStartError(f"cannot start worker processes: {one_line(exc)}") from None
    return launches + 1


class _Broken:
    """The pool broke while this task was unfinished (why, when the executor knows: `cause`)."""

    def __init__(self, exc: BrokenProcessPool) -> None:
        self.cause = exc.__cause__


def _outcome(fut: Future, task: T, died: Callable[[T, str], R]) -> object:
    try:
        return fut.result()
    except BrokenProcessPool as exc:
        return _Broken(exc)
    except Exception as exc:  # fn raised something it did not handle itself
        return died(task, _internal(exc))


@dataclass(frozen=True)
class Retry(Generic[T]):
    """What `died` returns to run a changed task alone again (e.g. one that skips what killed it)."""

    task: T


MAX_RETRIES = 12  # reruns alone per task while `died` answers Retry


def _alone(fn: Callable[[T], R], task: T, died: Callable[[T, str], "R | Retry[T]"]) -> R:
    """Run one task in its own single-worker pool; if that pool breaks too, the task is what broke it.

    `died` then gives the result, or Retry(changed task) to run alone again; after MAX_RETRIES
    reruns it is asked once more with the reason GAVE_UP, and must give a result.
    """
    launches = 0
    for _ in range(MAX_RETRIES):
        with _running(1) as pool:
            try:
                outcome = _outcome(pool.submit(fn, task), task, died)
            except LAUNCH_ERRORS as exc:  # as in run(): the worker was never started; a new pool tries again
                launches = _launch_failed(pool, exc, launches)
                continue
            except BaseException:
                _abandon(pool)
                raise
        if isinstance(outcome, _Broken):  # a dead worker, or a result that could not be read back
            outcome = died(task, DIED if outcome.cause is None else _internal(outcome.cause))
        if not isinstance(outcome, Retry):
            return outcome  # type: ignore[return-value]
        task = outcome.task
    return died(task, GAVE_UP)  # type: ignore[return-value]


def _internal(exc: BaseException) -> str:
    """One line: the exception's first line, or for a traceback text sent back by a worker, its last."""
    lines = [line.strip() for line in str(exc).strip().strip("'").splitlines() if line.strip().strip("'")]
    if type(exc).__name__ == "_RemoteTraceback" and lines:
        return f"internal error in the worker: {lines[-1][:300]}"
    return f"internal error in the worker: {one_line(exc)}"


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_init_worker,
                               initargs=(os.getpid(), dict(os.environ)))


def _init_worker(parent: int, environ: dict[str, str]) -> None:
    """Worker initializer: the pool maker's environment as it is now, and an exit when that process goes.

    Ctrl-C is the writer's to handle (it kills the workers): a worker ignores SIGINT.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.environ != environ:  # the forkserver holds the environment of when it started (credentials may have changed since)
        os.environ.clear()
        os.environ.update(environ)
    _exit_with(parent)


def _exit_with(parent: int) -> None:
    """Exit as soon as the process that made the pool is gone, even SIGKILLed.

    Otherwise a worker whose writer was killed waits on its task queue forever (it holds the
    queue's write end too, so it never sees end of file), and so does the forkserver.
    """

    def watch() -> None:
        try:
            fd = os.pidfd_open(parent)  # Linux >= 5.3: readable once the process has exited
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])
        else:
            while alive(parent):
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="provenance-watch-writer", daemon=True).start()


def start(tokenizer: str | None = None) -> None:
    """Start the forkserver now (it imports the worker code in the background, and loads a --tokenizer's tokenizer:
    its workers then share it); later pools fork from it."""
    if not tokenizer or _context.cache_info().currsize:
        _context()
        return
    os.environ["PROVENANCE_PRELOAD_TOKENIZER"] = tokenizer  # (preload.TOKENIZER_ENV) the forkserver starts with this environment
    try:
        _context()
    finally:
        del os.environ["PROVENANCE_PRELOAD_TOKENIZER"]


IN_PROCESS_MAX_BYTES = 16 << 20  # a single local file smaller than this is read in-process (no worker to start)


def in_process(paths: list[str]) -> bool:
    """Whether these inputs are read in-process: a single small local file, where starting a worker
    (~0.5 s) would cost more than reading it. A larger file gets a worker process: one that dies on a
    record (a crash in a parser) is then found out and skipped rather than ending the run."""
    try:
        return len(paths) == 1 and os.path.isfile(paths[0]) and os.path.getsize(paths[0]) < IN_PROCESS_MAX_BYTES
    except OSError:
        return False


def start_for(paths: list[str], tokenizer: str | None = None) -> None:
    """start(tokenizer) unless the inputs are read in-process."""
    if not in_process(paths):
        start(tokenizer)


@lru_cache(maxsize=1)
def _context() -> multiprocessing.context.BaseContext:
    """Forkserver on Linux; spawn elsewhere (macOS: forking a process that has loaded Accelerate and
    pyarrow's threads is not safe; Windows has no fork) or when the forkserver cannot start."""
    if sys.platform != "linux":
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    try:
        forkserver.ensure_running()
    except OSError:  # e.g. a TMPDIR too long for a Unix socket's path
        return multiprocessing.get_context("spawn")
    atexit.register(_stop)
    return ctx


def _stop() -> None:
    """At exit: stop the forkserver and wait for it, so no process outlives this one and the CPU time
    of the forkserver and its workers is counted to this process (as it was for spawned workers).
    The forkserver is killed: it holds nothing to save (its pools are shut down by now, and one that never
    forked may still be importing), and its own orderly exit, unloading numpy, pyarrow and resiliparse,
    took ~0.13 s that each run waited for."""
    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)  # private, like _stop: present since Python 3.4
    if pid:
        _quietly(lambda: os.kill(pid, signal.SIGKILL))
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:  # bounded: exit never hangs on a forkserver whose workers linger
        waiter = threading.Thread(target=_quietly, args=(stop,), name="provenance-stop-forkserver", daemon=True)
        waiter.start()
        try:
            waiter.join(STOP_WAIT)
        except KeyboardInterrupt:  # a Ctrl-C as the run ends: exit now, without "Exception ignored in atexit callback"
            pass


def _quietly(fn: Callable[[], object]) -> None:
    try:
        fn()
    except OSError:
        pass


__all__ = ["run", "run_ready", "start", "start_for", "Retry", "DIED", "GAVE_UP"]
