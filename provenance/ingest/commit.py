"""Commit finished files into the store: their ledger rows, rows and faults, a group of files per transaction.

A commit's cost is mostly per statement (~1-2 ms each in DuckDB, whatever their rows), and a file
took ~15 statements: a run over many small files was bound by its writer at ~40 files/s (10 pages
each: 360 docs/s on 2 cores). The files that finished while the writer was busy now commit together,
with a statement per table for all of them, and each file is still in the store whole or not at all:
its group commits whole or not at all.

A group never holds two files of one path or one content (commit_groups), so its statements can all
read the store as it was before the group: no file of a group replaces, or is a copy of, another.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from provenance import textfiles
from provenance.arrow_views import registered
from provenance.config import IngestConfig
from provenance.errors import utf8_text
from provenance.ingest import dictionary
from provenance.ingest.jobs import FILE_TABLES, SHARED_TABLES, TABLES, FileResult
from provenance.ingest.inputs import read_is_twin
from provenance.store import Store

GROUP_MAX_FILES = 256  # files committed in one transaction, at most
GROUP_MAX_BYTES = 64 << 20  # their staged parts, at most (what one transaction adds before COMMIT): a larger file commits alone


def commit_groups(results: list[FileResult]) -> Iterator[list[FileResult]]:
    """Split files that finished together into groups, each committed in one transaction (commit_files), in order.

    A group closes before GROUP_MAX_FILES files or GROUP_MAX_BYTES of parts, and before a file whose path or
    content (sha256) one of its files has: that file's commit must see the other's (as a copy of it, or with
    --force as its replacement).
    """
    group: list[FileResult] = []
    size, keys = 0, set()
    for res in results:
        n, own = res.parts_bytes(), {res.path, res.sha256} - {None}
        if group and (len(group) == GROUP_MAX_FILES or size + n > GROUP_MAX_BYTES or keys & own):
            yield group
            group, size, keys = [], 0, set()
        group.append(res)
        size += n
        keys |= own
    if group:
        yield group


def commit_files(store: Store, results: list[FileResult], run_id: int, config: IngestConfig,
                 replaces: dict[str, tuple[str, ...]] | None = None) -> list[list[int]]:
    """Commit files' ledger rows, rows and faults in one transaction (a group of commit_groups); a finished file's
    rows replace those of the ledger paths replaces[its path] (the WET files of a WARC's pages, inputs.twins_in_ledger).
    A file whose content is in the store under another name is skipped after all (its status and note say so).
    Returns, per file, the replaced sources' ids.

    Each file's texts (one Parquet file, see textfiles.py) are moved into the store's texts folder
    just before COMMIT; the `texts` view shows them only once the ledger row is committed. The files
    of replaced sources are deleted after COMMIT (a crash in between leaves files no view shows,
    removed by the next ingest).
    """
    placed: list[Path] = []
    try:
        with store.transaction():
            try:
                olds, kept = _ledger(store, results, config, replaces or {})
                delete_sources(store, [i for old in olds for i in old])
                now = _now()
                # (an id can come back after its source was deleted; one that an older provenance deleted may still name a bundle)
                store.query("ingest_delete_texts_bundles", ids=[res.source_id for res in kept])
                _insert(store, "ingest_insert_sources", _sources=_source_rows(kept, run_id, config, now))
                _insert(store, "ingest_insert_errors", _errors=_error_rows(kept, run_id, now))
                for res in kept:
                    if res.parts.get("texts"):
                        placed.append(textfiles.place(res.parts["texts"][0], store.texts_dir, res.source_id))
                _load_parts(store, kept)
            except BaseException:  # rolled back: the files placed go. Not after: a Ctrl-C that came during COMMIT (which
                # DuckDB does not interrupt) is raised once it returns, and those files' rows are committed (a COMMIT that
                # failed leaves them beside no row: the next ingest removes them)
                for path in placed:
                    path.unlink(missing_ok=True)
                raise
    finally:
        for res in results:
            res.discard_parts()
    for old in olds:
        textfiles.remove(store.texts_dir, old)
    return olds


def _ledger(store: Store, results: list[FileResult], config: IngestConfig,
            replaces: dict[str, tuple[str, ...]]) -> tuple[list[list[int]], list[FileResult]]:
    """What each file replaces, and the files kept (the others are copies, now skipped): by the ledger as it is."""
    import pyarrow as pa

    files = pa.table({"i": pa.array(range(len(results)), pa.int64()), "path": [r.path for r in results],
                      "sha256": pa.array([r.sha256 for r in results], pa.string()), "done": [r.status == "done" for r in results]})
    with registered(store.con, _files=files):
        replaced = store.query("ingest_sources_to_replace", force=config.force).fetchall()
        copies = {} if config.force else dict(store.query("ingest_copies").fetchall())
    olds: list[list[int]] = [[] for _ in results]
    earlier: list[list[bool]] = [[] for _ in results]
    for i, source_id, is_earlier, whole in replaced:
        olds[i].append(source_id)
        if is_earlier:
            earlier[i].append(whole)
    kept = []
    for i, res in enumerate(results):
        if i in copies:  # its content is in under another name; its own earlier rows go (another version, a read that gave up)
            res.status, res.note = "skipped", f"same content as {copies[i]}"
            res.faults, res.n_faults, res.n_docs = [], 0, 0
            continue
        if earlier[i] and not config.force:
            res.changed, res.note = True, replaced_note(all(earlier[i]))
        if res.status == "done" and replaces.get(res.path) and read_is_twin(res):  # (a robots.txt WARC of the name replaces
            # nothing: pages.py)
            twins = store.query("ingest_sources_at_paths", paths=list(replaces[res.path])).fetchall()
            olds[i] += [r[0] for r in twins if r[0] not in olds[i]]
            res.twins = list(replaces[res.path]) if twins else []
        kept.append(res)
    return olds, kept


def replaced_note(read_whole: bool) -> str:
    """The note of a file whose rows replace those of its earlier ingest: of another version, or of a read that gave up."""
    if read_whole:
        return "changed since its ingest: its rows replace the earlier version's"
    return "read again, its earlier read having ended before the file's end: its rows replace that read's"


def delete_sources(store: Store, ids: list[int]) -> None:
    """Delete the rows of these sources from every table of the store (their texts files go after the commit; their rows
    in a bundle are nobody's once their texts_bundles rows go)."""
    if ids:
        for table in (*(t for t in TABLES if t not in SHARED_TABLES and t not in FILE_TABLES), "ingest_errors", "texts_bundles", "sources"):
            store.query(f"ingest_delete_{table}", ids=ids)


def _insert(store: Store, query: str, **rows: object) -> None:
    """Run an insert query over an Arrow table of rows, registered under its name; none when it has no rows."""
    (table,) = rows.values()
    if table.num_rows:  # type: ignore[attr-defined]
        with registered(store.con, **rows):
            store.query(query)


def _source_rows(results: list[FileResult], run_id: int, config: IngestConfig, now: datetime) -> object:
    """The files' ledger rows (the columns of `sources`) as an Arrow table."""
    import pyarrow as pa

    options = json.dumps(config.ledger_options(), sort_keys=True)
    big = pa.int64()
    return pa.table({
        "source_id": pa.array([r.source_id for r in results], big), "path": pa.array([r.path for r in results], pa.string()),
        "size": pa.array([r.size for r in results], big), "mtime": pa.array([r.mtime for r in results], pa.float64()),
        "sha256": pa.array([r.sha256 for r in results], pa.string()), "format": pa.array([r.format for r in results], pa.string()),
        "compression": pa.array([r.compression for r in results], pa.string()), "crawl": pa.array([r.crawl for r in results], pa.string()),
        "status": pa.array([r.status for r in results], pa.string()), "n_records": pa.array([r.n_records for r in results], big),
        "n_docs": pa.array([r.n_docs for r in results], big), "n_sampled_out": pa.array([r.n_sampled_out for r in results], big),
        "n_errors": pa.array([r.n_faults for r in results], big),
        "record_counts": pa.array([json.dumps(r.record_counts, sort_keys=True) for r in results], pa.string()),
        "skip_counts": pa.array([json.dumps(r.skip_counts, sort_keys=True) for r in results], pa.string()),
        "options": pa.array([options] * len(results), pa.string()), "run_id": pa.array([run_id] * len(results), big),
        "started_at": pa.array([r.started_at or now for r in results], pa.timestamp("us")),
        "finished_at": pa.array([now] * len(results), pa.timestamp("us")),
        "seconds": pa.array([r.seconds for r in results], pa.float64()),
    })


def _error_rows(results: list[FileResult], run_id: int, now: datetime) -> object:
    """The files' faults (the columns of `ingest_errors`) as an Arrow table."""
    import pyarrow as pa

    faults = [(res, f) for res in results for f in res.faults]
    return pa.table({
        "source_id": pa.array([res.source_id for res, _ in faults], pa.int64()),
        "path": pa.array([res.path for res, _ in faults], pa.string()),
        "offset": pa.array([f.offset for _, f in faults], pa.int64()),
        "record_id": pa.array([f.record_id for _, f in faults], pa.string()),
        "kind": pa.array([f.kind for _, f in faults], pa.string()),
        "reason": pa.array([utf8_text(f.reason) for _, f in faults], pa.string()),
        "run_id": pa.array([run_id] * len(faults), pa.int64()),
        "created_at": pa.array([now] * len(faults), pa.timestamp("us")),
    })


def _load_parts(store: Store, results: list[FileResult]) -> None:
    """Load the files' staged parts into their tables: a statement per table, not per file."""
    for table in TABLES:
        files = [part for res in results for part in res.parts.get(table, ())]
        if files and table not in FILE_TABLES:
            store.load_parts(table, files, dictionary.load_query(store) if table == "tokens" else None)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


__all__ = ["commit_groups", "commit_files", "delete_sources", "replaced_note", "GROUP_MAX_FILES", "GROUP_MAX_BYTES"]
