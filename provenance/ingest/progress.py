"""How far an ingest has got while it runs: files ended, and bytes and documents read, also inside a file.

A Common Crawl WARC file takes a worker minutes; a run of one file said nothing until it ended.
Each worker writes how far it has read its file (the input's byte position and the documents so
far) to a small file of its own (FileJob.progress_file), at most a few times a second. The driver
polls those files on a thread of its own and tells a `Progress` (the CLI's bar) the run's totals:
the bytes of the files that ended, plus the bytes read of those still running. Files read on
another machine (Ray) have no progress file there: they count when they end.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provenance.ingest.jobs import FileResult

WRITE_EVERY_S = 0.25  # a worker's progress file is rewritten at most this often
POLL_EVERY_S = 0.5  # the driver reads the progress files this often
CHECK_EVERY_RECORDS = 64  # a worker looks at the clock once per this many records (a record costs ~0.1-1 ms)
_WIDTH = 20


class Progress:
    """What an ingest tells of itself as it runs. These do nothing; the CLI's progress bar overrides them.

    Called from the driver's threads (the writer's and the poller's): an implementation must be thread-safe.
    """

    def start(self, files: int, size: int | None) -> None:
        """The run will read `files` files of `size` bytes in all (None: not known, some are remote)."""

    def file(self, res: "FileResult", files: int) -> None:
        """One file ended: committed, skipped or failed (res.status); `files` in the run."""

    def read(self, size: int, docs: int) -> None:
        """Bytes and documents read so far, of the files that ended and of those still being read; never decreasing.
        Documents read: extracted, before --lang leaves some out (a file that failed counts those it had read)."""


class ReadMeter:
    """A worker's side: write the byte position it has read its file to, and its documents so far, to `path` (in a
    folder the driver made). It only informs: where it cannot write (the folder gone with its run, a full disk), it
    stops, and the file is read on."""

    def __init__(self, path: str | None) -> None:
        self.path, self.fd, self.last = path, None, 0.0

    def __enter__(self) -> "ReadMeter":
        if self.path is not None:
            try:
                self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            except OSError:
                self.fd = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    @property
    def on(self) -> bool:
        """Whether it writes (a progress file is wanted, and could be written so far)."""
        return self.fd is not None

    def at(self, position: int, docs: int, final: bool = False) -> None:
        """Say how far the file is read; written when WRITE_EVERY_S has passed since the last write, or when final."""
        if self.fd is None:
            return
        now = time.monotonic()
        if final or now - self.last >= WRITE_EVERY_S:
            self.last = now
            # fixed width: an overwrite; twice: a read that met a write half done sees two values that differ
            line = f"{position:>{_WIDTH}d} {docs:>{_WIDTH}d} "
            try:
                os.pwrite(self.fd, (line + line + "\n").encode(), 0)
            except OSError:
                os.close(self.fd)
                self.fd = None


def read_progress(path: str | os.PathLike) -> tuple[int, int] | None:
    """(bytes, documents) a worker's progress file says; None when it is missing, not yet written, or being written."""
    try:
        with open(path, "rb") as f:
            fields = f.read(4 * _WIDTH + 5).split()
        if len(fields) != 4 or fields[:2] != fields[2:]:
            return None
        return int(fields[0]), int(fields[1])
    except (OSError, ValueError):
        return None


def position(f: object) -> int | None:
    """How far an input stream has been read, or None where it cannot tell."""
    try:
        return int(f.tell())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None


class Meter:
    """The driver's side: the run's totals, for a Progress. `folder` holds the workers' progress files, one per
    source id (`progress_file(source_id)`; None: the files are read elsewhere, and count when they end). `files`
    is how many files the run has; `inputs` are the paths of those it reads (local ones are sized here), not
    those it settled without reading (unchanged since their ingest, missing): their bytes are not read, so they
    count in neither the total nor the rate."""

    def __init__(self, progress: Progress | None, folder: Path | None, files: int, inputs: Iterable[str]) -> None:
        self.progress, self.folder = progress, folder
        self.lock = threading.Lock()
        self.sizes: dict[str, int] = {}
        self.done_bytes = self.done_docs = 0
        self.shown = (0, 0)
        self.ended: set[int] = set()  # source ids of files that ended: their progress file no longer counts
        self.running: dict[int, tuple[int, int]] = {}  # (bytes, documents) read of each file still running, as last polled
        self.failed = False  # the Progress raised in a poll: polled no more
        if progress is None:
            return
        from provenance.errors import path_text  # (not at import: the CLI imports this module for every command)
        from provenance.ingest.remote import is_remote

        unknown = False
        for path in inputs:
            try:  # keyed as the file's result names it (FileResult.path)
                self.sizes[path_text(path)] = os.stat(path).st_size if not is_remote(path) else 0
                unknown = unknown or is_remote(path)
            except (OSError, ValueError):
                self.sizes[path_text(path)] = 0
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        progress.start(files, None if unknown else sum(self.sizes.values()))

    def progress_file(self, source_id: int) -> str | None:
        return str(self.folder / str(source_id)) if self.progress is not None and self.folder is not None else None

    def file(self, res: "FileResult", files: int) -> None:
        """A file ended: its bytes and documents count in full, its progress file no more."""
        if self.progress is None:
            return
        with self.lock:
            self.ended.add(res.source_id)
            self.running.pop(res.source_id, None)
            self.done_bytes += self.sizes.pop(res.path, None) or res.size or 0
            self.done_docs += res.n_docs + res.skip_counts.get("lang-filtered", 0) if res.status == "done" else 0
            self._show()
        self.progress.file(res, files)
        if self.folder is not None:
            Path(self.folder, str(res.source_id)).unlink(missing_ok=True)

    def poll(self) -> None:
        """Read the progress files of the files still running, and tell the totals."""
        if self.progress is None or self.folder is None:
            return
        try:
            names = [e.name for e in os.scandir(self.folder) if e.name.isdigit()]
        except OSError:  # not made yet: no worker has started
            names = []
        read = {int(name): read_progress(self.folder / name) for name in names}
        with self.lock:
            self.running = {sid: r or self.running.get(sid, (0, 0)) for sid, r in read.items() if sid not in self.ended}
            self._show()

    def _show(self) -> None:
        size, docs = sum(r[0] for r in self.running.values()), sum(r[1] for r in self.running.values())
        shown = (max(self.shown[0], self.done_bytes + size), max(self.shown[1], self.done_docs + docs))
        if shown != self.shown:
            self.shown = shown
            self.progress.read(*shown)

    @contextmanager
    def polling(self, every: float = POLL_EVERY_S) -> Iterator["Meter"]:
        """Poll on a thread of its own while the block runs (nothing without a Progress)."""
        if self.progress is None:
            yield self
            return
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(every) and self._poll_quietly():
                pass

        thread = threading.Thread(target=run, name="provenance-progress", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
        self._poll_quietly()  # the last word, once the run ended well

    def _poll_quietly(self) -> bool:
        """poll(); False, and no more polls, once the Progress failed (a closed terminal): the run goes on untold."""
        if self.failed:
            return False
        try:
            self.poll()
        except Exception:
            self.failed = True
        return not self.failed
