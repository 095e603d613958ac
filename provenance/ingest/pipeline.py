"""Ingest files into the store: workers featurize files into Parquet parts, one writer commits them.

Each file commits whole in one transaction (its ledger row, documents, features and faults; files
that finished together share one: ingest/commit.py), so a killed process leaves no partial file:
the uncommitted transaction is rolled back when the store reopens, the staging folder is cleared on
the next run, and a rerun ingests exactly the missing files.
"""
from __future__ import annotations

import importlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

import duckdb

from provenance import textfiles
from provenance.config import IngestConfig
from provenance.ingest import dictionary, pool
from provenance.ingest.commit import commit_files, commit_groups
from provenance.ingest.progress import Meter, Progress
from provenance.ingest.inputs import InputFile, expand_inputs, settle_inputs, twins_note
from provenance.errors import InputError, StoreError, UsageError, first_line, path_text
from provenance.ingest.readers import Fault
from provenance.ingest.remote import is_remote
from provenance.ingest.jobs import (CURRENT_RECORD, OVERDUE_RECORD, FileJob, FileResult, rerun_after_death, run_job,
                                    write_known_hashes)
from provenance.store import Store, repeated_captures

OnFile = Callable[[FileResult, int], None]  # called with each finished file and the total number of files


class _Counted(NamedTuple):
    """What the summary keeps of a committed file: its counts, and the file itself when it is told of."""

    path: str
    n_docs: int
    n_faults: int
    sampled_out: int
    lang_filtered: int
    told: FileResult | None


def _noted(res: FileResult) -> bool:
    """Whether a file is told of besides its faults (IngestSummary.noted)."""
    return bool(res.other_options or res.cut_short or res.changed)


@dataclass
class IngestSummary:
    """The outcome of one ingest run: counts over every file, and the files to tell of (`results`: those with faults
    or notes, and committed ones a later file of the same content superseded), so its memory grows with those, not
    with the files of a crawl (90,000). Files skipped as copies are only counted."""

    run_id: int
    files: int = 0
    ingested: int = 0
    skipped: int = 0
    failed: int = 0
    with_errors: int = 0
    records: int = 0
    documents: int = 0
    errors: int = 0
    sampled_out: int = 0  # documents of committed files left out by --sample-rate
    lang_filtered: int = 0  # ... and by --lang
    seconds: float = 0.0
    results: list[FileResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the inputs: those left out (inputs.leave_out_derived)
    # WARC files whose rows replaced the WET files of their pages (inputs.twins_in_ledger): source id -> (path, the WETs')
    twins: dict[int, tuple[str, list[str]]] = field(default_factory=dict)
    _done: dict[int, _Counted] = field(default_factory=dict, repr=False)  # this run's committed files, by source id

    def add(self, res: FileResult, on_file: OnFile | None = None) -> None:
        """Count one finished file (committed, skipped or failed) and report it to on_file."""
        told = bool(res.faults or res.n_faults or _noted(res))
        if told:
            self.results.append(res)
        self.records += res.n_records
        if res.status == "skipped":
            self.skipped += 1
        elif res.status == "failed":
            self.failed += 1
        else:
            filtered = res.skip_counts.get("lang-filtered", 0)
            self.ingested += 1
            self.documents += res.n_docs
            self.with_errors += bool(res.n_faults)
            self.sampled_out += res.n_sampled_out
            self.lang_filtered += filtered
            if res.twins:
                self.twins[res.source_id] = (res.path, res.twins)
            self._done[res.source_id] = _Counted(res.path, res.n_docs, res.n_faults, res.n_sampled_out, filtered, res if told else None)
        self.errors += res.n_faults
        if on_file is not None:
            on_file(res, self.files)

    def supersede(self, source_id: int, by: FileResult) -> None:
        """Count a file of this run as skipped after all: a later one of the same content replaced its rows (--force
        over two names of one content; two shards' tasks of one content), and say so in its note."""
        done = self._done.pop(source_id, None)  # (a source of an earlier run: nothing to recount)
        if source_id != by.source_id:
            self.twins.pop(source_id, None)
        if done is not None and source_id != by.source_id:
            self.ingested, self.skipped = self.ingested - 1, self.skipped + 1
            self.documents -= done.n_docs
            self.with_errors -= bool(done.n_faults)
            self.errors -= done.n_faults
            self.sampled_out -= done.sampled_out
            self.lang_filtered -= done.lang_filtered
            res = done.told
            if res is None:  # told of now
                res = FileResult(done.path, source_id)
                self.results.append(res)
            res.status, res.note, res.n_docs, res.faults, res.n_faults = "skipped", f"same content as {by.path} (its rows kept)", 0, [], 0

    @property
    def noted(self) -> list[FileResult]:
        """Files to tell of besides their faults: skipped, but not as a rerun may think (ingested with other options,
        cut short by --file-timeout), or a new version of a file ingested before."""
        return [res for res in self.results if _noted(res)]

    @property
    def other_options(self) -> int:
        """Of the skipped files, those ingested before with other options."""
        return sum(res.other_options for res in self.results if res.status == "skipped")

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.errors == 0

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "files": self.files,
            "ingested": self.ingested,
            "skipped": self.skipped,
            "skipped_with_other_options": self.other_options,
            "failed": self.failed,
            "with_errors": self.with_errors,
            "records": self.records,
            "documents": self.documents,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "docs_per_second": round(self.documents / self.seconds, 1) if self.seconds else None,
            "notes": self.notes,
            "file_notes": [{"path": r.path, "note": r.note} for r in self.noted],
            "faults": [
                {"path": r.path, "offset": f.offset, "kind": f.kind, "reason": f.reason}
                for r in self.results
                for f in r.faults
            ],
        }


def ingest(paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str], config: IngestConfig,
           progress: Progress | None = None) -> IngestSummary:
    """Ingest files, directories, globs and *.paths listings into the store at config.db; tell progress how far it got.
    One path may be given alone (a string was taken for its characters: one path each, '/' the whole disk)."""
    paths = [os.fspath(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
    if config.tokenizer:
        from provenance.ingest.hftokens import HFTokenizer

        try:
            HFTokenizer(config.tokenizer)  # fail fast, before any file is read or the store is made
        except InputError as exc:
            raise UsageError(f"--tokenizer {exc}") from None
    pool.start_for(paths, config.tokenizer)  # the workers' imports overlap the store's opening
    with Store(config.db) as store:
        return ingest_into(store, paths, config, progress)


def ingest_into(store: Store, paths: Iterable[str], config: IngestConfig, progress: Progress | None = None) -> IngestSummary:
    """Ingest into an open store (the writer); workers featurize files in parallel."""
    t0 = time.perf_counter()
    paths = list(paths)
    attached = store.query("ingest_attached_dir").fetchone()
    if attached is not None:
        raise StoreError(f"{store.path}: store reads Parquet shards in {attached[0]}; ingest with --output {attached[0]} instead")
    done = store.query("ingest_done_sources").fetchall()
    inputs, replaces, notes = settle_inputs(expand_inputs(paths, config.paths_prefix), [(r[0], r[1], r[2], r[6], r[7], r[8]) for r in done])
    run_id = store.new_run("ingest", {"paths": paths, **asdict(config)})
    summary = IngestSummary(run_id, files=len(inputs), notes=notes)
    staging = _staging_dir(store.path)
    textfiles.remove_orphans(store.texts_dir, dict(store.query("texts_home_files").fetchall()))
    known = write_known_hashes(staging / f"known-hashes-{run_id}.txt", sorted({r[3] for r in done if r[3]}))  # unique per run: cached by path
    unchanged = {}  # -> options, cut: a local file by (path, size, mtime), a remote one by its address
    for path, size, mtime, sha256, options, cut, *_ in done:
        if not is_remote(path):
            unchanged[path, size, mtime] = (options, cut)
        elif known_by_address(sha256, cut):
            unchanged[path, None, None] = (options, cut)
    next_id = store.query("ingest_next_source_id").fetchone()[0]
    jobs, instant = [], []
    for item in inputs:
        result = _precheck(item, unchanged, config)
        if result is None:
            folder = staging / str(next_id)
            jobs.append(FileJob(item.path, next_id, str(folder), config, known_hashes=known, part_format="arrow",
                                texts_file=str(folder / "texts.parquet"), listed_as=item.listed_as))
        else:
            result.source_id = next_id if result.status == "failed" else 0
            instant.append(result)
        next_id += 1
    meter = Meter(progress, staging / "progress", len(inputs), [job.path for job in jobs])
    if progress is not None:
        jobs = [replace(job, progress_file=meter.progress_file(job.source_id)) for job in jobs]
    if jobs:  # the loader's pyarrow (~0.2 s of imports) is imported while the first file is read; not a
        # daemon: an exit waits for the import to end rather than finalizing under a half-imported module
        threading.Thread(target=importlib.import_module, args=("pyarrow",), name="provenance-import-pyarrow").start()
    with store.bulk_load(), meter.polling():  # one DuckDB thread: the cores belong to the workers; one checkpoint at the end
        for result in instant:
            _finish(store, [result], run_id, config, summary, meter.file, replaces)
        for ready in _run(jobs, config.workers):
            for group in commit_groups(ready):
                _finish(store, group, run_id, config, summary, meter.file, replaces)
        dictionary.merge_pending(store)
        _tidy_texts(store, summary)
    summary.notes += filter(None, [twins_note(summary.twins), repeated_captures(store, run_id) if summary.documents else None])
    store.finish_run(run_id)
    shutil.rmtree(staging, ignore_errors=True)
    summary.seconds = time.perf_counter() - t0
    return summary


def _tidy_texts(store: Store, summary: IngestSummary) -> None:
    """Merge small texts files into bundles, and delete the files that hold no committed source's texts now (bundles
    whose sources were all replaced in this run; textfiles.py): once per run, at its end. Every file is committed by
    then, and every text is read from one file at each step: a failure (a full disk) is a note, not an error."""
    try:
        textfiles.compact(store.con, store.texts_dir, dict(store.query("texts_home_files").fetchall()))
        textfiles.remove_orphans(store.texts_dir, dict(store.query("texts_home_files").fetchall()))
    except (OSError, duckdb.Error) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
        summary.notes.append(f"{store.texts_dir}: small texts files were not merged into bundles ({why}); "
                             "every text is there, and the next ingest merges them")


def _precheck(item: InputFile, unchanged: dict[tuple, tuple[str | None, bool]], config: IngestConfig) -> FileResult | None:
    """Settle inputs that need no worker: missing paths, and files unchanged since their ingest (unchanged:
    (path, size, mtime) of each, or (address, None, None) of a remote one, -> the options it was ingested with,
    and whether --file-timeout cut it short)."""
    if item.problem:
        res = FileResult(item.path, 0, status="failed")
        res.faults.append(Fault(None, "input", item.problem))
        res.n_faults = 1
        return res
    path = path_text(item.path)  # as the ledger holds it
    if not config.force and is_remote(item.path):
        if (path, None, None) in unchanged:
            return skipped(path, "already ingested from this address", *unchanged[path, None, None], config)
        return None
    if not config.force:
        try:
            st = Path(item.path).stat()
        except OSError:
            return None  # the worker reports it
        if (path, st.st_size, st.st_mtime) in unchanged:
            return skipped(path, "unchanged since its last ingest", *unchanged[path, st.st_size, st.st_mtime], config)
    return None


def known_by_address(sha256: str | None, cut: bool) -> bool:
    """Whether a remote file ingested before is skipped by its address: when its read reached the end (it has a sha256),
    or --file-timeout cut it (a rerun says so, as of a local file); a read that gave up is read again."""
    return bool(sha256) or cut


def skipped(path: str, why: str, options: str | dict | None, cut: bool, config: IngestConfig) -> FileResult:
    """A file skipped as ingested before; when that ingest used other options than these, its note says
    which (a rerun with, say, --tokenizer added otherwise changes nothing without a word), and when
    --file-timeout cut it short, so (a rerun finished nothing of it, without a word)."""
    if cut:
        why += " (cut short by --file-timeout then: --force reads it again, a longer --file-timeout lets it finish)"
    res = FileResult(path, 0, status="skipped", note=why, cut_short=cut)
    changed = config.changed_options(options)
    if changed:
        res.note = f"{why}, with other options ({'; '.join(changed)}): kept as it was; --force re-ingests it with these"
        res.other_options = True
    return res


def _run(jobs: list[FileJob], workers: int) -> Iterator[list[FileResult]]:
    """Yield results as files finish, those that finished together at once: in-process for a single small file, else
    worker processes (pool.py).

    With several files even one worker runs in its own process, so the writer (this process)
    commits file k while the worker featurizes file k + 1.
    """
    in_process = pool.in_process([job.path for job in jobs])
    if not in_process:  # --record-timeout ends a worker process, never this one
        jobs = [replace(job, overdue_file=str(Path(job.staging) / OVERDUE_RECORD)) for job in jobs]
    yield from pool.run_ready(run_job, jobs, workers, _died, in_process=in_process)


def _died(job: FileJob, reason: str) -> FileResult | pool.Retry[FileJob]:
    """A worker died on this file even alone: find the record that kills it and skip it, or fail the file."""
    retry = rerun_after_death(job, reason, str(Path(job.staging) / CURRENT_RECORD))
    if retry is not None:
        return retry
    shutil.rmtree(job.staging, ignore_errors=True)  # whatever the dead worker left half-written
    return FileResult.failed(job.path, job.source_id, "worker", reason)


def _finish(store: Store, results: list[FileResult], run_id: int, config: IngestConfig, summary: IngestSummary,
            on_file: OnFile | None, replaces: dict[str, tuple[str, ...]]) -> None:
    """Commit a group of finished files in one transaction, then count each in order."""
    read = [res for res in results if res.status != "skipped"]
    replaced = dict(zip(map(id, read), commit_files(store, read, run_id, config, replaces))) if read else {}
    for res in results:
        if id(res) in replaced:
            for source_id in replaced[id(res)]:
                summary.supersede(source_id, res)
        elif res.sha256 and res.mtime is not None:  # read, and its content known: its time changed (a copy without its
            # times); the next run reads nothing
            store.query("ingest_touch_source", path=res.path, sha256=res.sha256, size=res.size, mtime=res.mtime)
        summary.add(res, on_file)
    if read:
        dictionary.merge_if_large(store)


def _staging_dir(db: str) -> Path:
    """A fresh folder for Parquet parts beside the store (same filesystem); stale parts are removed."""
    if db == ":memory:":
        return Path(tempfile.mkdtemp(prefix="provenance-staging-"))
    path = Path(db + ".staging")
    shutil.rmtree(path, ignore_errors=True)  # we hold the store's lock: nothing else writes here
    path.mkdir(parents=True, exist_ok=True)
    return path

