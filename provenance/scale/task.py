"""One file on any executor: `process_file` into a worker-local staging folder, then publish to DIR.

Publishing order makes a killed task harmless: parts first (under a fresh attempt prefix), the
ledger entry last. Without a ledger entry the parts are never read and the next run redoes the
file; a retried attempt writes under a new prefix, so it never mixes with a dead one's parts.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from provenance import __version__
from provenance.config import IngestConfig
from provenance.errors import path_text
from provenance.ingest import scratch
from provenance.ingest.readers import Fault
from provenance.ingest.remote import is_remote
from provenance.ingest.worker import (
    SHARED_TABLES,
    TABLES,
    FileJob,
    FileResult,
    process_file,
    sha256_file,
)
from provenance.scale import ledger
from provenance.scale.layout import ERRORS, LEDGER, ShardDir, address_key, crawl_dir

RETRY_KINDS = frozenset({"io"})  # faults worth another attempt: reads that failed after the stream's own retries
BACKOFF_SECONDS = 1.0


@dataclass(frozen=True)
class ShardTask:
    """Ingest `path` as `source_id` into the shard directory `output`."""

    path: str
    source_id: int
    output: str
    config: IngestConfig
    run_id: int
    attempts: int = 3  # whole-file attempts when a read fails (each already retries its requests)
    watch: str | None = None  # after its worker died: see FileJob.watch and jobs.rerun_after_death
    scratch: str | None = None  # the folder for its staging (local executor: removed after the run)
    skip_records: tuple[int, ...] = ()
    listed_as: str | None = None  # see FileJob.listed_as
    overdue_file: str | None = None  # see FileJob.overdue_file (local executor's worker processes only)
    slow_records: tuple[int, ...] = ()
    progress_file: str | None = None  # see FileJob.progress_file (local executor only: the driver reads it)


def shard_file(task: ShardTask) -> FileResult:
    """Process one file and publish its parts, ledger entry or error record; return its FileResult."""
    out = ShardDir(task.output)
    # in the driver's scratch folder (local executor), else one of this process's (ingest/scratch.py)
    staging = Path(tempfile.mkdtemp(prefix="provenance-shard-", dir=task.scratch) if task.scratch else scratch.make("shard"))
    try:
        res, attempts = _attempt(task, out, staging)
        if isinstance(res, _Published):
            return res.result
        if res.status == "done":
            try:
                publish(out, task, res, attempts, tries=task.attempts)
                return res
            except OSError as exc:  # past its retries: the file failed (what is up is named by no ledger entry: never read)
                res = FileResult.failed(task.path, task.source_id, "io", f"cannot publish its parts to {task.output}: "
                                        f"{exc.strerror or exc}; the next run reads the file again")
        if res.status == "failed":
            try:
                _with_retries(lambda: out.write_json(error_path(task.path), entry(task, res, attempts)), task.attempts)
            except OSError:  # the output cannot be written: the run still reports the file, and the next reads it again
                pass
        return res
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _attempt(task: ShardTask, out: ShardDir, staging: Path) -> tuple["FileResult | _Published", int]:
    for attempt in range(1, task.attempts + 1):
        res = _process(task, out, staging / str(attempt))
        if isinstance(res, _Published) or attempt == task.attempts or not any(f.kind in RETRY_KINDS for f in res.faults):
            return res, attempt
        shutil.rmtree(staging / str(attempt), ignore_errors=True)
        time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _Published:
    """This task already published its file in this run: its result, read back from the ledger."""

    result: FileResult


def _process(task: ShardTask, out: ShardDir, staging: Path) -> "FileResult | _Published":
    """process_file, skipping content that a ledger entry (from any address) already holds."""
    sha = None
    if not is_remote(task.path):
        try:
            before = os.stat(task.path)
            sha = sha256_file(task.path)
            after = os.stat(task.path)
            if (after.st_size, after.st_mtime) != (before.st_size, before.st_mtime):
                sha = None  # changed while hashed (being written): process_file hashes it again, and sees a change in its read
        except OSError:
            pass  # process_file reports it
        if sha and (known := _known(task, sha, out, before)):
            return known
    res = process_file(FileJob(task.path, task.source_id, str(staging), task.config, sha256=sha, watch=task.watch,
                               skip_records=task.skip_records, listed_as=task.listed_as, overdue_file=task.overdue_file,
                               slow_records=task.slow_records, progress_file=task.progress_file))
    if res.status == "done" and is_remote(task.path) and res.sha256 and (known := _known(task, res.sha256, out)):
        return known
    return res


def _known(task: ShardTask, sha: str, out: ShardDir, stat: os.stat_result | None = None) -> "FileResult | _Published | None":
    """What the ledger entry of this content (if any) means for the task: its own publication in this run
    (a rerun after its result was lost: a pool broken by another worker's death, Ray retrying a task
    whose worker died after publishing; even under --force), else a skip as the same content as the
    entry's file (unless --force), else nothing."""
    prior = ledger.lookup(out, sha)
    if prior is None:
        return None
    if prior.get("path") == path_text(task.path) and prior.get("run_id") == task.run_id and prior.get("source_id") == task.source_id:
        return _Published(_result_of(prior))
    if task.config.force:
        return None
    if prior.get("path") != path_text(task.path):
        return FileResult(task.path, 0, status="skipped", sha256=sha, note=f"same content as {prior.get('path')}")
    if stat is not None:  # its time changed, not its content (a copy without its times): recorded, the next run reads nothing
        out.write_json(f"{LEDGER}/{sha}.json", {**prior, "size": stat.st_size, "mtime": stat.st_mtime})
    return FileResult(task.path, 0, status="skipped", sha256=sha, note="unchanged since its ingest (its time changed, not its content)")


def _result_of(e: dict[str, Any]) -> FileResult:
    """The FileResult a ledger entry was written from (its parts as published)."""
    started = datetime.fromisoformat(e["started_at"]) if e.get("started_at") else None
    return FileResult(
        e["path"], e["source_id"], status=e["status"], sha256=e["sha256"], size=e["size"], mtime=e["mtime"],
        format=e["format"], compression=e["compression"], crawl=e["crawl"], n_records=e["n_records"],
        n_docs=e["n_docs"], n_sampled_out=e["n_sampled_out"], n_faults=e["n_errors"],
        record_counts=e["record_counts"], skip_counts=e["skip_counts"], faults=[Fault(**f) for f in e["faults"]],
        parts=e["parts"], started_at=started, seconds=e["seconds"])


def _with_retries(fn: Any, attempts: int) -> None:
    """Run an upload; object stores fail transiently, so retry OSErrors with backoff."""
    for attempt in range(1, attempts + 1):
        try:
            fn()
            return
        except OSError:
            if attempt == attempts:
                raise
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))


def publish(out: ShardDir, task: ShardTask, res: FileResult, attempts: int = 1, tries: int = 1) -> None:
    """Put res's parts under DIR/<table>/crawl=<crawl>/, then its ledger entry; drop its old error record.

    A table's part is one file for the whole input (a row group per batch); a file whose records name
    several crawls (a warcinfo record mid-file) has a piece of each part in each crawl's folder.
    Uploads that fail are retried `tries` times in all, each piece once it is up never again (a local
    piece is moved there).
    """
    prefix = f"{(res.sha256 or address_key(task.path))[:16]}-{secrets.token_hex(4)}"
    crawls = _Crawls.of(res.parts)
    pieces = [(table, piece, f"{table}/{crawl_dir(crawl)}/{prefix}-{n:05d}.parquet")
              for table in TABLES for n, local in enumerate(res.parts.get(table, [])) for crawl, piece in crawls.split(table, local)]
    up: set[str] = set()

    def upload() -> None:
        for _, piece, rel in pieces:
            if rel not in up:
                out.put_file(piece, rel)
                up.add(rel)

    _with_retries(upload, tries)
    published: dict[str, list[str]] = {}
    for table, _, rel in pieces:
        published.setdefault(table, []).append(rel)
    res.parts = published
    _with_retries(lambda: out.write_json(f"{LEDGER}/{res.sha256 or address_key(task.path)}.json", entry(task, res, attempts, prefix)), tries)
    _with_retries(lambda: out.delete(error_path(task.path)), tries)


@dataclass(frozen=True)
class _Crawls:
    """The crawl of a file's rows: one for all of them, or (rare: a warcinfo record mid-file) by document and by block."""

    names: tuple[str, ...]  # sorted
    docs: pa.Table | None = None  # doc_id, crawl: where there are several
    blocks: pa.Table | None = None  # block_id, crawl

    @classmethod
    def of(cls, parts: dict[str, list[str]]) -> "_Crawls":
        crawls = _read(parts.get("documents", []), ["crawl"])  # (the doc ids only where there are several)
        names = tuple(sorted(pc.unique(crawls["crawl"]).to_pylist())) if crawls is not None else ()
        if len(names) <= 1:
            return cls(names)
        return cls(names, _read(parts["documents"], ["doc_id", "crawl"]), _read(parts.get("token_blocks", []), ["block_id", "crawl"]))

    def split(self, table: str, local: str) -> list[tuple[str, str]]:
        """(crawl, file) pieces of one local part: the file itself unless its rows are of several crawls."""
        if len(self.names) <= 1 or table in SHARED_TABLES:  # the token dictionary belongs to no crawl: filed under the first
            return [(self.names[0] if self.names else "unknown", local)]
        writers: dict[str, pq.ParquetWriter] = {}
        try:
            with pq.ParquetFile(local) as source:
                for i in range(source.num_row_groups):  # a batch at a time: memory stays that of one batch
                    rows = source.read_row_group(i)
                    crawl = self._crawl_of(rows)
                    for name in pc.unique(crawl).to_pylist():
                        if name not in writers:
                            writers[name] = pq.ParquetWriter(f"{local}.{self.names.index(name)}.parquet", rows.schema,
                                                             compression="lz4", use_dictionary=False)
                        writers[name].write_table(rows.filter(pc.equal(crawl, name)))
        finally:
            for w in writers.values():
                w.close()
        return [(name, f"{local}.{self.names.index(name)}.parquet") for name in self.names if name in writers]

    def _crawl_of(self, rows: pa.Table) -> pa.Array:
        if "crawl" in rows.column_names:
            return rows["crawl"].combine_chunks()
        by, key = (self.docs, "doc_id") if "doc_id" in rows.column_names else (self.blocks, "block_id")  # block_tokens: its block's
        return by["crawl"].take(pc.index_in(rows[key], value_set=by[key]).combine_chunks()).combine_chunks()


def _read(files: list[str], columns: list[str]) -> pa.Table | None:
    return pa.concat_tables([pq.read_table(f, columns=columns) for f in files]) if files else None


def error_path(path: str) -> str:
    return f"{ERRORS}/{address_key(path)}.json"


def entry(task: ShardTask, res: FileResult, attempts: int, part_prefix: str | None = None) -> dict[str, Any]:
    """The JSON ledger (or error) record of one file: the columns of `sources`, its faults, its parts."""
    return {
        "source_id": task.source_id, "path": res.path, "size": res.size, "mtime": res.mtime, "sha256": res.sha256,
        "format": res.format, "compression": res.compression, "crawl": res.crawl, "status": res.status,
        "n_records": res.n_records, "n_docs": res.n_docs, "n_sampled_out": res.n_sampled_out, "n_errors": res.n_faults,
        "record_counts": res.record_counts, "skip_counts": res.skip_counts, "options": task.config.ledger_options(), "run_id": task.run_id,
        "started_at": _ts(res.started_at), "finished_at": _ts(_now()), "seconds": round(res.seconds, 6),
        "faults": [asdict(f) for f in res.faults], "part_prefix": part_prefix, "parts": res.parts,
        "attempts": attempts, "version": __version__,
    }


def _ts(dt: datetime | None) -> str | None:
    return dt.isoformat(sep=" ") if dt else None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
