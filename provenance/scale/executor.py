"""Ingest into a shard directory on a local process pool or a Ray cluster: same per-file function.

The driver expands the inputs, skips addresses the DIR's ledger already holds, gives every other
file a source id, and runs `shard_file` per file; workers publish their own parts and ledger
entries, so a killed driver loses no finished work and a rerun does only the rest. A task whose
worker dies is retried by Ray (`max_retries`); one that dies every time gets an error record.
"""
from __future__ import annotations

import functools
import logging
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from provenance.config import IngestConfig
from provenance.errors import UsageError, first_line, path_text
from provenance.ingest import pool, scratch
from provenance.ingest.inputs import expand_inputs, read_is_twin, settle_inputs, twins_note
from provenance.ingest.commit import replaced_note
from provenance.ingest.pipeline import IngestSummary, known_by_address, skipped
from provenance.ingest.progress import Meter, Progress
from provenance.ingest.remote import is_remote
from provenance.ingest.hftokens import HFTokenizer
from provenance.ingest.jobs import FileResult, rerun_after_death
from provenance.scale import ledger
from provenance.scale.layout import RUNS, ShardDir, address_key, allocate_source_ids
from provenance.scale.task import (
    ShardTask,
    entry,
    error_path,
    shard_file,
)

EXECUTORS = ("local", "ray")
RAY_MAX_RETRIES = 2  # re-runs of a task whose worker process died (OOM kill, lost node)
IN_FLIGHT_PER_CPU = 2  # tasks queued per cluster CPU: enough to keep workers busy, bounded driver memory


def ingest_shards(paths: Iterable[str], config: IngestConfig, output: str, executor: str = "local",
                  address: str | None = None, progress: Progress | None = None, attempts: int = 3) -> IngestSummary:
    """Ingest files into Parquet shards under output (a folder or s3:// URL) with a ledger there; tell progress how far
    it got (files read on a Ray cluster count when they end)."""
    if executor not in EXECUTORS:
        raise UsageError(f"--executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if config.tokenizer:
        HFTokenizer(config.tokenizer)  # fail fast, before any file is read
    t0 = time.perf_counter()
    paths = list(paths)
    if executor == "local":
        pool.start_for(paths, config.tokenizer)  # the workers' imports overlap the planning
    out = ShardDir(output)
    if out.local:
        try:
            os.makedirs(out.uri, exist_ok=True)
        except OSError as exc:  # an existing file (a store named by mistake), /proc
            raise UsageError(f"--output {output}: cannot be a shard folder: {exc.strerror or exc}") from None
    run_id = int(time.time() * 1000)  # no central sequence on a cluster: milliseconds since the epoch
    with ledger.writing(out, run_id):  # (no fold of the ledger meanwhile: ledger.py)
        return _ingest(out, paths, config, executor, address, progress, attempts, run_id, t0)


def _ingest(out: ShardDir, paths: list[str], config: IngestConfig, executor: str, address: str | None, progress: Progress | None,
            attempts: int, run_id: int, t0: float) -> IngestSummary:
    entries = ledger.read_ledger(out)
    inputs, twins, notes = settle_inputs(expand_inputs(paths, config.paths_prefix), [
        (e["path"], e.get("size"), e.get("mtime"), e.get("record_counts"), e.get("skip_counts"), e.get("n_sampled_out")) for e in entries])
    tasks, instant, changed = plan(out, inputs, config, run_id, attempts, entries)
    summary = IngestSummary(run_id, files=len(tasks) + len(instant), notes=notes)
    # the local workers' staging, watch and progress files (a SIGKILLed driver leaves its folder: the next run's removes
    # it, see ingest/scratch.py)
    folder = scratch.make("shards") if executor == "local" else None
    try:
        meter = Meter(progress, Path(folder, "progress") if folder else None, len(tasks) + len(instant), [t.path for t in tasks])
        for res in instant:
            summary.add(res, meter.file)
        run = _run_local(tasks, config.workers, folder, meter) if folder else _run_ray(tasks, address, config.workers)
        replaced = _Replaced(entries, config.force, twins, changed, ledger.has_folds(out))
        # this run's published files, by content: what _one_of_two needs of each (a crawl is 90,000 files, and a
        # result holds up to 1,000 faults)
        by_content: dict[str, FileResult] = {}
        with meter.polling(), closing(run):  # (closed first: the pool stops before its folder goes)
            for res in run:
                if res.status == "done" and res.sha256:
                    first = by_content.get(res.sha256)
                    if first is None:
                        by_content[res.sha256] = FileResult(res.path, res.source_id, sha256=res.sha256, parts=res.parts)
                    else:
                        _one_of_two(out, first, res, summary)
                replaced.drop(out, res)
                summary.add(res, meter.file)
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    summary.notes += filter(None, [twins_note(summary.twins)])
    summary.seconds = time.perf_counter() - t0
    out.write_json(f"{RUNS}/{run_id}.json", {"paths": paths, "executor": executor, "config": asdict(config),
                                             **{k: v for k, v in summary.to_dict().items() if k != "faults"}})
    return summary


def plan(out: ShardDir, inputs: list, config: IngestConfig, run_id: int, attempts: int,
         ledger: list[dict[str, Any]]) -> tuple[list[ShardTask], list[FileResult], set[str]]:
    """Return the tasks to run, the results known without running (done before; bad inputs), and the ledger paths
    of files changed since their ingest (a download completed, a WARC file appended to: read again, their new
    version replaces the entry), given the DIR's ledger entries."""
    done = {e["path"]: e for e in ledger}
    used = {int(e["source_id"]) for e in ledger}
    todo, instant, changed = [], [], set()
    for item in inputs:
        path = item.path if item.problem or is_remote(item.path) else os.path.abspath(item.path)
        earlier = done.get(path_text(path)) if item.problem is None and not config.force else None
        if earlier is not None and (known_by_address(earlier.get("sha256"), cut_short(earlier)) if is_remote(path) else _same_file(path, earlier)):
            instant.append(skipped(path, "in the ledger of the output directory", earlier.get("options"), cut_short(earlier), config))
            continue
        if earlier is not None:
            changed.add(path_text(path))
        todo.append((path, item))
    ids = allocate_source_ids([p for p, _ in todo], used)
    tasks = []
    for path, item in todo:
        if item.problem:
            res = FileResult.failed(path, ids[path], "input", item.problem)
            task = ShardTask(path, ids[path], out.uri, config, run_id, attempts)
            out.write_json(error_path(path), entry(task, res, 0))
            instant.append(res)
        else:
            tasks.append(ShardTask(path, ids[path], out.uri, config, run_id, attempts, listed_as=item.listed_as))
    return tasks, instant, changed


def _one_of_two(out: ShardDir, first: FileResult, res: FileResult, summary: IngestSummary) -> None:
    """Two files of one content published in this run (two names of one file, read at once: the ledger check before
    each ran saw neither): the ledger entry (keyed by content) names the one that wrote it last. The other's parts
    are removed (nothing reads them) and it counts as skipped, as the same content as the kept one."""
    entry = ledger.lookup(out, res.sha256) or {}
    kept, lost = (res, first) if entry.get("path") == res.path else (first, res)
    for rel in {r for rels in lost.parts.values() for r in rels} - {r for rels in kept.parts.values() for r in rels}:
        out.delete(rel)
    if lost is res:
        res.status, res.note, res.n_docs, res.faults, res.n_faults = "skipped", f"same content as {kept.path} (its rows kept)", 0, [], 0
    else:
        summary.supersede(first.source_id, res)


def _same_file(path: str, entry: dict[str, Any]) -> bool:
    """Whether a local file has the size and modification time its ledger entry recorded (as a store's ledger checks)."""
    try:
        st = os.stat(path)
    except OSError:
        return False  # its task reports it
    return (st.st_size, st.st_mtime) == (entry.get("size"), entry.get("mtime"))


def cut_short(entry: dict[str, Any]) -> bool:
    """Whether --file-timeout cut the ingest of this ledger entry short (a file-level timeout fault: no offset)."""
    return any(f.get("kind") == "timeout" and f.get("offset") is None for f in entry.get("faults") or ())


class _Replaced:
    """The ledger entries (read before the run) that a file's new publication replaces. With --force, found by
    address and by content: earlier ingests of its path or of its bytes, as --force into a store deletes
    their rows (an entry of the same content is overwritten by the new one, its parts named by none). A WARC
    file's also replaces the WET files of its pages if it holds pages (twins: see inputs.twins_in_ledger, pages.py),
    and a changed file (plan's) its earlier versions."""

    def __init__(self, entries: list[dict[str, Any]], force: bool, twins: dict[str, list[str]], changed: Iterable[str],
                 folded: bool) -> None:
        self.force, self.twins, self.folded = force, twins, folded  # folded: the ledger has folds (a removal leaves a tombstone)
        self.changed = set(changed)
        self.by_path: dict[str, list[dict[str, Any]]] = {}
        self.by_sha: dict[str, list[dict[str, Any]]] = {}
        self.published: set[str] = set()  # ledger keys written in this run: never removed (content moved between paths)
        for e in entries:
            self.by_path.setdefault(e.get("path"), []).append(e)
            if e.get("sha256"):
                self.by_sha.setdefault(e["sha256"], []).append(e)

    def drop(self, out: ShardDir, res: FileResult) -> None:
        """Remove the entries and parts res replaces (nothing when its ingest failed). res's entry was written
        first: a driver killed in between leaves two entries of the path, and attach reads the later (attach.py)."""
        targets = self._targets(res)
        if res.status == "skipped" and res.path in targets:  # read again, and its content is another file's:
            # its own earlier entries of other content go (another version, a read that gave up); one of this content stays
            self._delete(out, [e for e in self.by_path.get(res.path, ()) if res.sha256 and e.get("sha256") != res.sha256], set())
            return
        if res.status != "done" or not (self.force or targets):
            return
        versions = [e for e in self.by_path.get(res.path, ()) if e.get("sha256") != res.sha256 or not e.get("sha256")]
        if res.path in targets and versions:  # its own earlier version (changed, or a read that gave up)
            res.changed, res.note = True, replaced_note(all(e.get("sha256") for e in versions))
        new_key = res.sha256 or address_key(res.path)
        self.published.add(new_key)
        kept = {rel for rels in res.parts.values() for rel in rels}
        forced = (*self.by_path.get(res.path, ()), *self.by_sha.get(res.sha256 or "", ())) if self.force else ()
        earlier = {id(e): e for e in (*forced, *(e for path in targets for e in self.by_path.get(path, ())))}
        res.twins = [path for path in targets if path != res.path and self.by_path.get(path)]
        self._delete(out, earlier.values(), kept)

    def _targets(self, res: FileResult) -> list[str]:
        """The ledger paths whose entries res replaces besides --force's: its own (a changed file), or the WET files of
        its pages once it is known to hold pages (a robots.txt WARC of the name holds none)."""
        own = [res.path] if res.path in self.changed else []
        if res.path in self.twins and res.status == "done" and read_is_twin(res):
            return own + self.twins[res.path]  # (a changed WARC too: read before as a robots.txt file, say)
        return own

    def _delete(self, out: ShardDir, entries: Iterable[dict[str, Any]], kept: set[str]) -> None:
        """Remove these ledger entries (but those written in this run) and their parts (but those in kept)."""
        for e in entries:
            key = e.get("sha256") or address_key(e["path"])
            if key not in self.published:
                ledger.remove(out, key, self.folded)
            for rel in (r for rels in (e.get("parts") or {}).values() for r in rels):
                if rel not in kept:
                    out.delete(rel)


def _run_local(tasks: list[ShardTask], workers: int, folder: str, meter: Meter) -> Iterator[FileResult]:
    """In-process for a single small file, else worker processes (pool.py, as the store executor does).

    folder: scratch space of this run, for each task's staging folder, watch and progress files, so that what a dead
    worker left half-written goes with the folder (shard_file removes its staging only when it returns)."""
    in_process = pool.in_process([t.path for t in tasks])
    tasks = [replace(task, scratch=folder, overdue_file=None if in_process else os.path.join(folder, f"overdue-{task.source_id}"),
                     progress_file=meter.progress_file(task.source_id)) for task in tasks]
    yield from pool.run(shard_file, tasks, workers, functools.partial(_died, folder), in_process=in_process)


def _died(folder: str, task: ShardTask, reason: str) -> FileResult | pool.Retry[ShardTask]:
    """A task whose worker process died even alone: find the record that kills it and skip it (as the
    store ingest does), or write an error record in the output directory."""
    retry = rerun_after_death(task, reason, os.path.join(folder, f"watch-{task.source_id}"))
    if retry is not None:
        return retry
    res = FileResult.failed(task.path, task.source_id, "worker", reason)
    ShardDir(task.output).write_json(error_path(task.path), entry(task, res, 2))
    return res


def _run_ray(tasks: list[ShardTask], address: str | None, workers: int) -> Iterator[FileResult]:
    """Run shard_file as Ray tasks, at most IN_FLIGHT_PER_CPU per cluster CPU at a time."""
    ray = _ray()
    started = not ray.is_initialized()
    if started:
        opts: dict[str, Any] = {"address": address} if address else {"num_cpus": workers}
        ray.init(include_dashboard=False, logging_level=logging.WARNING, **opts)
    try:
        remote = ray.remote(num_cpus=1, max_retries=RAY_MAX_RETRIES)(shard_file)
        limit = max(2, IN_FLIGHT_PER_CPU * int(ray.cluster_resources().get("CPU", 1)))
        queue, pending = list(reversed(tasks)), {}
        while queue or pending:
            while queue and len(pending) < limit:
                task = queue.pop()
                pending[remote.remote(task)] = task
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                yield _collect(ray, ref, pending.pop(ref))
    finally:
        if started:
            ray.shutdown()


def _collect(ray: Any, ref: Any, task: ShardTask) -> FileResult:
    """The task's result; a task that failed past its retries becomes an error record."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:
        reason = f"task failed after {RAY_MAX_RETRIES + 1} tries: {first_line(exc)}"
        res = FileResult.failed(task.path, task.source_id, "worker", reason)
        ShardDir(task.output).write_json(error_path(task.path), entry(task, res, RAY_MAX_RETRIES + 1))
        return res


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError("--executor ray needs Ray: pip install 'provenance[ray]'") from None
    return ray


