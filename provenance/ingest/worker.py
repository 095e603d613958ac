"""Ingest one file: a pure function of (file, options) -> Parquet parts + a FileResult.

The same function runs in-process, in a local process pool, or on a cluster: it never touches the
store. Parts are written batch by batch, so memory is bounded by the batch size, not the file size.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from provenance.config import IngestConfig
from provenance.errors import one_line
from provenance.ingest import memory
from provenance.ingest.dates import parse_warc_date
from provenance.ingest.extract import Extracted, crawl_from_name, crawl_year, extract, warcinfo_crawl
from provenance.ingest.features import Batch, BatchContext, build_tables
from provenance.ingest.progress import CHECK_EVERY_RECORDS, ReadMeter, position
from provenance.ingest.jobs import SHARED_TABLES, TABLES, FileJob, FileResult, read_known_hashes, sha256_file
from provenance.ingest.readers import Fault, FileInfo, RawRecord
from provenance.ingest.remote import ForwardStream, is_remote, open_input
from provenance.ingest.hftokens import HFTokenizer
from provenance.ingest.urls import keep_url, registered_domain, split_host, without_credentials
from provenance.ingest.wacz import read_input
from provenance.ingest.watch import RecordWatch, overdue_records

MAX_FAULTS_KEPT = 1000  # per file; the rest are counted
# Text per batch, besides batch_docs documents: a batch's peak memory is a few times its text (the
# normalized copy, token hashes, Arrow columns), and 1,000 documents of a few MB each (text dumps a
# crawler fetched whole) would take gigabytes. A block may then span two batches: its rows are one
# resampling unit still (sql/views/drift_units.sql).
MAX_BATCH_CHARS = 32 << 20


class _Timeout(Exception):
    pass


class _WriteError(OSError):
    """Writing a batch's parts failed (a full disk): the file's later batches are not written."""


def process_file(job: FileJob) -> FileResult:
    """Read, extract and featurize one file into Parquet parts under job.staging.

    A remote URL is streamed once: its size and sha256 are taken as it passes (set only when it was
    read to the end), so a remote copy of a file already ingested is recognized after the read.
    """
    res = FileResult(job.path, job.source_id, started_at=datetime.now(timezone.utc).replace(tzinfo=None))
    t0 = time.perf_counter()
    if not is_remote(job.path):
        try:
            st = os.stat(job.path)
            res.size, res.mtime = st.st_size, st.st_mtime
            res.sha256 = job.sha256 or sha256_file(job.path)
        except OSError as exc:
            return _failed(res, Fault(None, "io", f"cannot read file: {exc.strerror or exc}"), t0)
    if not job.config.force and res.sha256 in read_known_hashes(job.known_hashes):
        res.status = "skipped"
        return res
    try:
        with _deadline(job.config.file_timeout):
            _read_file(job, res)
    except _Timeout:
        _add_fault(res, Fault(None, "timeout", f"gave up after --file-timeout {job.config.file_timeout} s; records read so far are kept"))
    except _WriteError as exc:  # a full disk: nothing of this file is kept (a rerun reads it whole)
        _discard(res, Fault(None, "io", f"cannot write this file's parts: {exc.strerror or exc}; nothing of the file is kept"))
    except MemoryError:  # outside any one record (reading, features, parts): the file's batches need more
        _discard(res, Fault(None, "memory", f"ran out of memory reading this file outside any one record (--worker-memory "
                            f"{job.config.worker_memory_mb} MiB is too small for its batches); nothing of the file is kept"))
    except OSError as exc:  # (a remote file not read to its end has no sha256: the next run reads it again)
        again = "; the records read so far are kept, and a rerun reads the file again" if is_remote(job.path) and res.n_records else ""
        _add_fault(res, Fault(None, "io", f"read error: {exc.strerror or exc}{again}"))
    if not is_remote(job.path) and _changed_since(job.path, res):
        _add_fault(res, Fault(None, "changed", "the file changed while it was read (still being written or downloaded?); "
                              "the records read are kept, and a rerun reads its new version in their place"))
    if res.n_records == 0 and res.n_faults:
        res.status = "failed"
    res.seconds = time.perf_counter() - t0
    return res


def _changed_since(path: str, res: FileResult) -> bool:
    """Whether the file's size or time changed since it was hashed (its ledger row then names another version)."""
    try:
        st = os.stat(path)
    except OSError:  # gone since (moved away, deleted): what was read is what was hashed, unless it changed first
        return False
    return (st.st_size, st.st_mtime) != (res.size, res.mtime)


def _discard(res: FileResult, fault: Fault) -> None:
    """Fail the file with this fault, keeping nothing of it."""
    res.discard_parts()
    res.status, res.n_docs = "failed", 0
    _add_fault(res, fault)


def _read_file(job: FileJob, res: FileResult) -> None:
    cfg = job.config
    info = FileInfo()
    hf = HFTokenizer(cfg.tokenizer) if cfg.tokenizer else None
    ctx = BatchContext(job.source_id, cfg.block_docs, cfg.keep_text, cfg.langs, hf)
    crawl = cfg.crawl or crawl_from_name(job.path) or crawl_from_name(job.listed_as or "")
    writer = _PartWriter(Path(job.staging), res, job.part_format, job.texts_file)
    try:
        _read_records(job, res, info, ctx, writer, crawl)
    finally:
        try:
            writer.close()  # also after a timeout: the texts file gets its footer, the records read so far are kept
        except _Timeout:  # the deadline fell just as close() began; it fires once, so this call runs whole
            writer.close()
            raise


def _read_records(job: FileJob, res: FileResult, info: FileInfo, ctx: BatchContext, writer: "_PartWriter", crawl: str | None) -> None:
    batch = Batch()
    res.crawl = crawl or "unknown"
    try:
        _read_into(job, res, info, ctx, writer, crawl, batch)
    except (_Timeout, OSError):  # the records read so far are kept, including the batch in progress
        batch.trim()  # a deadline may fall between the appends of one record
        if len(batch):
            writer.write(batch, ctx)
        raise
    finally:  # once per file, not per record; a deadline or I/O error keeps what was learned of the file
        res.format, res.compression = info.format, _compression(info)


def _read_into(job: FileJob, res: FileResult, info: FileInfo, ctx: BatchContext, writer: "_PartWriter", crawl: str | None,
               batch: Batch) -> None:
    """Read the file's records into `batch`, writing each full batch (the caller writes what is left on a fault)."""
    cfg = job.config
    ordinal = chars = 0
    watch = RecordWatch(job.watch, job.overdue_file, cfg.record_timeout)
    slow = {*job.slow_records, *overdue_records(job.overdue_file)}  # the pool's rerun alone learns them here
    mib = cfg.worker_memory_mb  # in whatever process reads the file (see ingest/memory.py)
    with open_input(job.path) as f, watch, memory.budget(mib << 20 if mib else None), ReadMeter(job.progress_file) as meter:
        for item in read_input(f, job.path, cfg.max_record_bytes, info):
            if isinstance(item, Fault):
                _add_fault(res, item)
                if item.record_type is not None:  # a record read, its block skipped (over --max-record-bytes): counted
                    res.n_records += 1
                    _count(res.record_counts, item.record_type)
                continue
            res.n_records += 1
            if res.n_records % CHECK_EVERY_RECORDS == 0 and meter.on:  # (no tell() when nobody listens)
                meter.at(position(f) or 0, ordinal)
            # a record's identity for reruns: its number (records of a whole-file gzip member after the first share its offset)
            number = res.n_records
            res.record_counts[item.type] = res.record_counts.get(item.type, 0) + 1
            if item.type == "warcinfo":
                crawl = cfg.crawl or warcinfo_crawl(item) or crawl
                res.crawl = crawl or "unknown"
                continue
            if number in job.skip_records:
                why = f"a bug in a parser, or an allocation past --worker-memory {mib} MiB" if mib else "a bug in a parser"
                _add_fault(res, Fault(item.offset, "crash", f"this record crashed the worker process twice ({why}); skipped",
                                      item.headers.get("warc-record-id")))
                continue
            if number in slow:
                _add_fault(res, Fault(item.offset, "timeout", f"extracting this record ran past --record-timeout {cfg.record_timeout:g} s "
                                      "(a parser's worst case on its markup); skipped", item.headers.get("warc-record-id")))
                continue
            watch.at(number)
            try:
                added = _add_document(batch, item, res, cfg, crawl, ordinal)
            except _Timeout:  # the file's deadline, not a fault of this record
                raise
            except MemoryError as exc:  # past --worker-memory (see ingest/memory.py)
                _add_fault(res, _memory_fault(item, exc, mib) if mib else _internal_fault(item, exc))
                continue
            except Exception as exc:  # a bug on one odd record (HTTP, charset, HTML) costs that record only
                _add_fault(res, _internal_fault(item, exc))
                continue
            finally:
                watch.at(-1)  # a death from here on is not this record's
            if added:
                ordinal += 1
                chars += len(batch.text[-1])
                if len(batch) == cfg.batch_docs or chars >= MAX_BATCH_CHARS:
                    writer.write(batch, ctx)
                    chars = 0
        if isinstance(f, ForwardStream):  # remote: the bytes were hashed as they streamed past
            res.size, res.sha256 = f.finish()
        if meter.on:
            meter.at(position(f) or 0, ordinal, final=True)
    if len(batch):
        writer.write(batch, ctx)


def _add_document(batch: Batch, rec: RawRecord, res: FileResult, cfg: IngestConfig, crawl: str | None, ordinal: int) -> bool:
    url = rec.headers.get("warc-target-uri", "").strip("<> ")
    if rec.type in ("response", "resource", "conversion") and url and not keep_url(url, cfg.sample_rate):
        res.n_sampled_out += 1
        return False
    out = extract(rec, cfg.max_record_bytes, cfg.prose_lists)
    if not isinstance(out, Extracted):
        _count(res.skip_counts, out.reason)
        return False
    if out.problem:
        _count(res.skip_counts, "decode-warning")
    if not out.text.strip():
        _count(res.skip_counts, "empty-text")
        return False
    if out.note:  # a document, read another way
        _count(res.skip_counts, out.note)
    if "warc-truncated" in rec.headers:  # its payload was cut at the crawler's size or time limit (Common Crawl: 1 MiB)
        _count(res.skip_counts, "truncated")
    fetch_time = parse_warc_date(rec.headers.get("warc-date"))
    if fetch_time is None and rec.headers.get("warc-date"):  # "yesterday", 1890, 3020: undated, and counted
        _count(res.skip_counts, "bad-date")
    host = split_host(url) if url else None
    domain = registered_domain(host)  # everything that can fail comes before the first append
    batch.ordinal.append(ordinal)
    batch.record_id.append(rec.headers.get("warc-record-id"))
    batch.url.append(without_credentials(url) or None)
    batch.host.append(host)
    batch.domain.append(domain)
    batch.crawl.append(crawl or "unknown")
    batch.fetch_time.append(fetch_time)
    batch.year.append(cfg.year or (fetch_time.year if fetch_time else crawl_year(crawl)))  # undated: its crawl's year
    batch.content_type.append(out.content_type)
    batch.record_type.append(rec.type if rec.fmt == "warc" else "arc")
    batch.text.append(out.text)
    batch.record_offset.append(rec.offset)
    return True


class _PartWriter:
    """Build each batch's tables, and append them to the file's parts in its staging folder: one file per
    table for the whole input file (FileJob.part_format), a row group or record batch per batch.

    One file per table, not one per batch: a Common Crawl WARC file holds ~40,000 pages, 40 batches,
    and a part per batch made 280 files of each input, which shards (--output) keep as they are (25
    million files for a crawl, each query opening them all).
    Batches are built and written between records, in the reading thread: a worker's death while
    writing is never blamed on a record (see watch.py), and at most one batch's features (a few times
    its text at their peak) are in memory. (A thread of their own, overlapping the next batch's read,
    was tried: no faster with a worker per core, and 7% more CPU a document, in GIL hand-offs.)
    A batch that fails to write leaves the parts incomplete: no later batch is written, write() and
    close() raise, and the caller discards the file's parts (a _WriteError: nothing of the file is kept).
    With texts_file, the texts go to that file instead (zstd: the copy the store keeps, compressed
    here in the worker rather than by the writer).
    """

    def __init__(self, folder: Path, res: FileResult, part_format: str, texts_file: str | None = None) -> None:
        self.folder, self.res, self.part_format, self.texts_file = folder, res, part_format, texts_file
        self.sinks: dict[str, _Sink] = {}
        self.n_docs, self.dropped = 0, 0  # what was written, given to res by close()
        self.error: BaseException | None = None
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, batch: Batch, ctx: BatchContext) -> None:
        """Build the batch's tables and write them; batch is left empty. Raises what writing this or an earlier batch raised."""
        self._raise()
        with _Guard.hold():  # a deadline never splits a batch: its rows are written whole, and once
            self._write_or_fail(batch, ctx)
            batch.clear()
        self._raise()

    def close(self) -> None:
        """Finish the parts' files, and report to res; a second call does nothing more."""
        with _Guard.hold():
            sinks, self.sinks = self.sinks, {}
            for name, sink in sinks.items():  # each one closed and listed, whatever another's close raised
                try:
                    sink.close()
                except OSError as exc:
                    self.error = self.error or _WriteError(exc.errno, exc.strerror or str(exc))
                except BaseException as exc:
                    self.error = self.error or exc
                finally:
                    self.res.parts.setdefault(name, []).append(sink.path)
            _count(self.res.skip_counts, "lang-filtered", self.dropped)
            self.res.n_docs += self.n_docs
            self.n_docs, self.dropped = 0, 0
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:  # for good: after a failed batch no later one is written
            raise self.error

    def _write_or_fail(self, batch: Batch, ctx: BatchContext) -> None:
        try:
            tables, dropped = build_tables(batch, ctx)
        except BaseException as exc:  # (an OSError here is a read error: a tokenizer's file gone, not a full disk)
            self.error = exc
            return
        try:
            self._write(tables, dropped)
        except OSError as exc:
            self.error = _WriteError(exc.errno, exc.strerror or str(exc))
        except BaseException as exc:
            self.error = exc

    def _write(self, tables: dict[str, "pa.Table"], dropped: int) -> None:
        for name, table in tables.items():
            if table.num_rows:
                sink = self.sinks.get(name)
                if sink is None:
                    sink = self.sinks[name] = self._sink(name, table.schema)
                sink.write(table)
        self.dropped += dropped
        self.n_docs += tables["documents"].num_rows

    def _sink(self, name: str, schema: "pa.Schema") -> "_Sink":
        if name == "texts" and self.texts_file:
            return _Sink(self.texts_file, schema, "parquet", "zstd")
        return _Sink(str(self.folder / f"{name}-00000.{self.part_format}"), schema, self.part_format, "lz4")


class _Sink:
    """One table's part: an Arrow IPC file (a record batch per batch) or a Parquet file (a row group per batch)."""

    def __init__(self, path: str, schema: "pa.Schema", part_format: str, compression: str) -> None:
        self.path, self.schema, self.file = path, schema, None
        try:
            if part_format == "arrow":
                self.file = pa.OSFile(path, "wb")
                self.out = pa.ipc.new_file(self.file, schema)
            else:  # dictionary pages cost more than they save here
                self.out = pq.ParquetWriter(path, schema, compression=compression, use_dictionary=False)
        except BaseException:  # (its header's write failed: a full disk) no file is left that no one lists
            if self.file is not None:
                self.file.close()
            Path(path).unlink(missing_ok=True)
            raise

    def write(self, table: "pa.Table") -> None:
        self.out.write_table(table if table.schema == self.schema else table.cast(self.schema))

    def close(self) -> None:
        try:
            self.out.close()
        finally:
            if self.file is not None:
                self.file.close()


def _memory_fault(rec: RawRecord, exc: Exception, mib: int) -> Fault:
    return Fault(rec.offset, "memory", f"extracting this record needed more than --worker-memory {mib} MiB (a parser's worst case on "
                 f"its markup: {one_line(exc)}); skipped", rec.headers.get("warc-record-id"))


def _internal_fault(rec: RawRecord, exc: Exception) -> Fault:
    return Fault(rec.offset, "internal", f"internal error on this record, skipped: {one_line(exc)}", rec.headers.get("warc-record-id"))


_PER_RECORD = {"gzip": "gzip-members", "zstd": "zstd-frames"}  # a member or frame per record (else: one for the whole file)


def _compression(info: FileInfo) -> str:
    """none, gzip-members / gzip-whole, zstd-frames / zstd-whole."""
    if info.compression not in _PER_RECORD:
        return "none"
    return _PER_RECORD[info.compression] if info.members > 1 else f"{info.compression}-whole"


def _add_fault(res: FileResult, fault: Fault) -> None:
    res.n_faults += 1
    if len(res.faults) < MAX_FAULTS_KEPT:
        res.faults.append(fault)


def _count(counter: dict[str, int], key: str, n: int = 1) -> None:
    if n:
        counter[key] = counter.get(key, 0) + n


def _failed(res: FileResult, fault: Fault, t0: float) -> FileResult:
    _add_fault(res, fault)
    res.status = "failed"
    res.seconds = time.perf_counter() - t0
    return res


class _Guard:
    """While held, a deadline waits: a batch's parts are written whole or not at all."""

    held = 0
    expired = False

    @classmethod
    @contextmanager
    def hold(cls) -> Iterator[None]:
        cls.held += 1
        try:
            yield
        finally:
            cls.held -= 1
        if cls.expired and not cls.held:
            cls.expired = False
            raise _Timeout()


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise _Timeout after `seconds` (main thread only; elsewhere no limit), never inside _Guard.hold()."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _alarm(signum: int, frame: object) -> None:
        if _Guard.held:
            _Guard.expired = True
            return
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, _alarm)
    _Guard.expired = False
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        _Guard.expired = False


__all__ = ["FileJob", "FileResult", "process_file", "sha256_file", "TABLES", "SHARED_TABLES"]
