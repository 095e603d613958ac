"""Task functions for tests/ingest/test_pool.py: importable by worker processes (pool.py forks them)."""
from __future__ import annotations

import os
import signal
from pathlib import Path


def echo_or_die(task: str) -> str:
    """'die:...' kills its own worker process every time; 'once:PATH' only the first time (PATH marks it)."""
    if task.startswith("die:"):
        os.kill(os.getpid(), signal.SIGKILL)
    if task.startswith("once:"):
        marker = Path(task[len("once:"):])
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return f"done {task}"


class Unpicklable(Exception):
    def __init__(self, a: str, b: str) -> None:  # two required arguments: cannot be rebuilt from args
        super().__init__(f"{a} {b}")


def raise_unpicklable(task: str) -> str:
    if task == "bad":
        raise Unpicklable("cannot", "travel")
    return f"done {task}"


def raise_on_bad(task: str) -> str:
    if task == "bad":
        raise ValueError("a bug met on this task")
    return f"done {task}"


def died(task: str, reason: str) -> str:
    return f"died {task}: {reason}"


def environment(name: str) -> str | None:
    return os.environ.get(name)


def run_job_with_a_deadly_record(job):
    """The real worker, in its real process, except that extracting a record whose URL ends in /deadly kills the process."""
    from provenance.ingest import jobs

    return _with_a_deadly_record(jobs.run_job, job)


def shard_file_with_a_deadly_record(task):
    """The real shard task (--output), in its real process, except that a record whose URL ends in /deadly kills it."""
    from provenance.scale import task as shard

    return _with_a_deadly_record(shard.shard_file, task)


def _with_a_deadly_record(fn, job):
    from provenance.ingest import worker

    real = worker.extract

    def extract(rec, max_bytes, *options):
        if rec.headers.get("warc-target-uri", "").endswith("/deadly"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(rec, max_bytes, *options)

    worker.extract = extract
    try:
        return fn(job)
    finally:
        worker.extract = real


def retry_forever(task: str, reason: str):
    from provenance.ingest import pool

    return pool.Retry(task + "+") if reason == pool.DIED else f"gave up on {task}: {reason}"



def loaded_tokenizers(task: str) -> int:
    """How many Hugging Face tokenizers this worker holds loaded (before it loads any itself)."""
    from provenance.ingest import hftokens

    return hftokens._load.cache_info().currsize
