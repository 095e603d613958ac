"""Which record a worker is extracting, for whoever has to name it.

Two watchers, both off unless asked for:
  * the watch file (FileJob.watch): after a worker died on a file, its rerun keeps the number of the
    record it is extracting in a file, so that the next death names the record (jobs.rerun_after_death);
  * --record-timeout (FileJob.overdue_file): a parser's worst case runs for minutes or hours inside
    one C call (Lexbor: 200,000 attributes in one tag took 112 s, 20,000 distinct unclosed <font>s
    2.2 s, a <select> of 20,000 unclosed options 1.4 s, each quadratic in its count), where no
    Python thread or signal runs. A thread in C (_native/watchdog.c) appends the number of a record
    that has taken more CPU time than the limit to overdue_file and kills the worker. Every later
    run of the file (the pool's rerun alone, the ingest's rerun) skips the records listed there,
    each a fault. Only in worker processes (never the writer's own), and only with the compiled
    module: without it, no limit.
"""
from __future__ import annotations

import os
from pathlib import Path

from provenance.ingest.native import select


class RecordWatch:
    """Context for reading one file: at(number) before extracting each record (1 for the first), at(-1) after it."""

    def __init__(self, watch_file: str | None, overdue_file: str | None = None, record_timeout: float | None = None) -> None:
        self.path, self.fd = Path(watch_file) if watch_file else None, None
        self.dog = select("_watchdog") if overdue_file and record_timeout else None
        self.overdue_file, self.record_timeout = overdue_file, record_timeout

    def __enter__(self) -> "RecordWatch":
        if self.dog is not None:  # arms the calling thread: the one that extracts
            self.dog.arm(self.record_timeout, self.overdue_file)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            self.at(-1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.dog is not None:
            self.dog.arm(0.0, "")  # the worker goes on to other files: no limit between them
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def at(self, number: int) -> None:
        """Say which record is being extracted (-1: none)."""
        if self.fd is not None:
            os.pwrite(self.fd, f"{number:>20d}\n".encode(), 0)  # fixed width: an overwrite
        if self.dog is not None:
            self.dog.at(number)


def recorded_record(path: str | None) -> int | None:
    """The record number a watcher left in this file (a watch file), if any."""
    if path is None:
        return None
    try:
        number = int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None
    return number if number >= 0 else None


def overdue_records(path: str | None) -> tuple[int, ...]:
    """The numbers of the records that ran past --record-timeout in earlier runs of a job (its overdue_file)."""
    if path is None:
        return ()
    try:
        lines = Path(path).read_text().split()
    except OSError:
        return ()
    return tuple(sorted({int(line) for line in lines if line.isdigit()}))
