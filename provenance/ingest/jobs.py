"""What a worker is given and what it returns: light types the writer needs without the worker's imports.

The writer process (pipeline.py) imports only this module; the worker's heavy imports (numpy,
pyarrow, resiliparse, the kernels) happen in the worker processes, through `run_job`.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, TypeVar
from datetime import datetime, timezone

from provenance.config import IngestConfig
from provenance.errors import one_line, path_text
from provenance.ingest.readers import Fault
from provenance.ingest.watch import overdue_records, recorded_record

if TYPE_CHECKING:
    from provenance.ingest import pool

TABLES = ("documents", "texts", "token_blocks", "block_tokens", "tokens", "signatures", "band_keys")
SHARED_TABLES = ("tokens",)  # not per source: never deleted with a source
FILE_TABLES = ("texts",)  # a local store keeps these as Parquet files beside it (textfiles.py), not as tables


@dataclass(frozen=True)
class FileJob:
    path: str
    source_id: int
    staging: str
    config: IngestConfig
    # sha256s of the content the store already holds, one per line: a file written once per run and
    # read once per worker process (a set in every job was pickled once per file: quadratic in files)
    known_hashes: str | None = None
    sha256: str | None = None  # already known (the caller hashed the file); local files only
    # A part per table for the whole file (a row group or record batch per batch of documents).
    # "parquet": lz4 Parquet parts, for shards that are published (--output). "arrow": Arrow IPC files,
    # for parts the store's writer loads and deletes on the same machine: written without encoding
    # (5x cheaper than uncompressed Parquet, measured) and memory-mapped by the writer.
    part_format: str = "parquet"
    # Local ingest: all of the file's texts go to this one zstd Parquet file (moved into the store's
    # texts folder at commit, see textfiles.py) instead of a part in the staging folder.
    texts_file: str | None = None
    # After a worker died on this file: the worker keeps the number of the record it is extracting
    # (1 for the file's first record; offsets repeat in whole-file gzip members) in the file `watch`
    # (so the next death names it), and skips the records numbered in `skip_records` with a fault
    # instead of reading them (see rerun_after_death).
    watch: str | None = None
    skip_records: tuple[int, ...] = ()
    # --record-timeout, in a worker process: a record extracted for longer makes the worker append its
    # number here and die (watch.py); later runs skip the records listed there and in `slow_records`.
    overdue_file: str | None = None
    slow_records: tuple[int, ...] = ()
    listed_as: str | None = None  # the *.paths entry this file was found for (its folders may name the crawl)
    progress_file: str | None = None  # where the worker says how far it has read the file (ingest/progress.py)


@dataclass
class FileResult:
    """What happened to one input file; `parts` are the Parquet files to load, per table."""

    path: str
    source_id: int
    status: str = "done"  # done | failed | skipped
    sha256: str | None = None
    size: int | None = None
    mtime: float | None = None
    format: str = "unknown"
    compression: str = "none"
    crawl: str | None = None
    n_records: int = 0
    n_docs: int = 0
    n_sampled_out: int = 0
    n_faults: int = 0
    record_counts: dict[str, int] = field(default_factory=dict)
    skip_counts: dict[str, int] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    parts: dict[str, list[str]] = field(default_factory=dict)
    started_at: datetime | None = None
    seconds: float = 0.0
    note: str | None = None
    other_options: bool = False  # skipped as ingested before, with other options than this run's
    cut_short: bool = False  # skipped as ingested before, by an ingest --file-timeout cut short
    changed: bool = False  # ingested before with other content: this version's rows replace that one's
    twins: list[str] = field(default_factory=list)  # the WET files (ledger paths) of its pages whose rows it replaced

    def __post_init__(self) -> None:
        self.path = path_text(self.path)  # the store's and the messages' form (a FileJob's path is the one to open)

    def parts_bytes(self) -> int:
        """The size of the staged parts a commit loads into tables (the texts file is moved, not loaded)."""
        total = 0
        for table, files in self.parts.items():
            if table not in FILE_TABLES:
                for part in files:
                    try:
                        total += os.path.getsize(part)
                    except OSError:  # gone: its load says so
                        pass
        return total

    def discard_parts(self) -> None:
        """Remove the file's staged parts (and texts file) and forget them."""
        for files in self.parts.values():
            for part in files:
                Path(part).unlink(missing_ok=True)
        self.parts = {}

    @classmethod
    def failed(cls, path: str, source_id: int, kind: str, reason: str) -> "FileResult":
        """A result for a file that never produced one (bad input, a worker that died or hit a bug)."""
        res = cls(path, source_id, status="failed", started_at=datetime.now(timezone.utc).replace(tzinfo=None))
        res.faults.append(Fault(None, kind, reason))
        res.n_faults = 1
        return res


CURRENT_RECORD = "current-record"  # the store ingest's watch file, in the job's staging folder
OVERDUE_RECORD = "overdue-record"  # where --record-timeout leaves the numbers of records that ran too long
MAX_CRASH_SKIPS = 8  # records of one file skipped for killing (or stalling) its worker, before the file is failed

J = TypeVar("J")


def rerun_after_death(job: J, reason: str, watch: str) -> "pool.Retry[J] | None":
    """The next run of a job (FileJob or ShardTask) whose worker died on it even alone, or None to fail it.

    A worker ended by --record-timeout appended the number of the overdue record to the job's
    overdue_file: rerun without the records listed there. Otherwise first rerun watching which
    record the worker is extracting (its number kept in the file `watch`); when that dies too, rerun
    without that record. A death outside any record, the same record twice, or more than
    MAX_CRASH_SKIPS such records: None (not a record's fault).
    """
    from provenance.ingest import pool

    if reason != pool.DIED:
        return None
    skipped, slow = job.skip_records, job.slow_records  # type: ignore[attr-defined]
    if overdue := set(overdue_records(job.overdue_file)) - set(slow):  # type: ignore[attr-defined]
        slow = tuple(sorted({*slow, *overdue}))
        return pool.Retry(replace(job, slow_records=slow)) if len(skipped) + len(slow) <= MAX_CRASH_SKIPS else None  # type: ignore[type-var]
    if job.watch is None:  # type: ignore[attr-defined]
        return pool.Retry(replace(job, watch=watch))  # type: ignore[type-var]
    number = recorded_record(job.watch)  # type: ignore[attr-defined]
    if number is not None and number not in skipped and len(skipped) + len(slow) < MAX_CRASH_SKIPS:
        return pool.Retry(replace(job, skip_records=(*skipped, number)))  # type: ignore[type-var]
    return None


def write_known_hashes(path: Path, hashes: Iterable[str]) -> str:
    """Write the hashes for FileJob.known_hashes; return the path as a string."""
    path.write_text("".join(f"{h}\n" for h in hashes))
    return str(path)


@lru_cache(maxsize=2)
def read_known_hashes(path: str | None) -> frozenset[str]:
    """The hashes of FileJob.known_hashes, read once per process (the writer names the file once per run)."""
    if path is None:
        return frozenset()
    with open(path, encoding="ascii") as f:
        return frozenset(line.strip() for line in f if line.strip())


def sha256_file(path: str) -> str:
    """Return the hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def run_job(job: FileJob) -> FileResult:
    """process_file(job), importing the worker where it runs (the function a process pool is given).

    A bug that escapes the worker's own fault handling fails this file with one line, not the run.
    """
    from provenance.ingest.worker import process_file

    try:
        return process_file(job)
    except Exception as exc:
        return FileResult.failed(job.path, job.source_id, "internal", f"internal error: {one_line(exc)}")


__all__ = ["FileJob", "FileResult", "TABLES", "SHARED_TABLES", "FILE_TABLES", "sha256_file", "run_job"]
