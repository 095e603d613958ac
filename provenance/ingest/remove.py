"""`provenance remove PATH...`: delete ingested files' rows from the store, whole, in one transaction.

A file ingested by mistake (the WACZ of a WARC already in, a crawl of the wrong year) otherwise stays: its documents,
features, texts and faults count in every estimate. Its ledger row goes too, so ingesting it again reads it anew. The
token dictionary keeps its entries (shared by every file; one not counted anywhere is never shown). The estimates
already made stay in `metrics`, naming their runs; the run recorded here marks them as made on other documents, so
`provenance report` computes them again (view data_version).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from provenance import textfiles
from provenance.errors import InputError, StoreError, UsageError, path_text
from provenance.ingest.commit import delete_sources
from provenance.store import Store


@dataclass
class Removed:
    """What a removal took out: each file's ledger path and documents."""

    run_id: int
    files: list[tuple[str, int]] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return sum(n for _, n in self.files)


def remove_files(store: Store, given: list[str]) -> Removed:
    """Delete the rows of the ledger's files that `given` names (a path as the ledger holds it, the same as an absolute
    path, or a folder: every file under it), all in one transaction. A name that matches no file is an InputError
    naming it, and nothing is removed."""
    attached = store.query("ingest_attached_dir").fetchone()
    if attached is not None:
        raise StoreError(f"{store.path}: store reads Parquet shards in {attached[0]}; remove the shards' files there and run "
                         "provenance attach again")
    if not given or any(not g.strip() for g in given):  # ("" is the working directory: `remove "$UNSET"` took every file)
        raise UsageError("provenance remove needs the path of an ingested file or folder; an empty one names none")
    paths, folders = [], []
    for g in given:
        as_given, absolute = _forms(g)
        paths += [as_given, absolute]
        folders.append(absolute.rstrip("/") + "/")  # (a folder gone from the disk since names its files still)
    rows = store.query("remove_sources_matching", paths=paths, folders=folders).fetchall()
    for g in given:
        if not any(_names(g, path) for _, path, _, _ in rows):
            raise InputError(g, "no file of the store's ledger is at this path (provenance sql \"SELECT path FROM sources\" "
                                "lists them); nothing removed")
    ids = [source_id for source_id, *_ in rows]
    with store.transaction():
        run_id = store.new_run("remove", {"paths": given, "files": [path for _, path, _, _ in rows],
                                          "documents": sum(int(n) for *_, n in rows)})  # (none: estimates stand)
        delete_sources(store, ids)
        store.finish_run(run_id)
    textfiles.remove(store.texts_dir, ids)  # after the commit, as an ingest's replaced files (a crash between: orphans
    # the next ingest deletes)
    return Removed(run_id, [(path, int(n)) for _, path, _, n in rows])


def _forms(given: str) -> tuple[str, str]:
    """What the user gave as the ledger may hold it: as given, and as an absolute path (an address as it is)."""
    return path_text(given), (path_text(os.path.abspath(given)) if "://" not in given else given)


def _names(given: str, path: str) -> bool:
    """Whether what the user gave names this ledger path (itself, as an absolute path, or a folder above it)."""
    as_given, absolute = _forms(given)
    return path in (as_given, absolute) or path.startswith(absolute.rstrip("/") + "/")


__all__ = ["Removed", "remove_files"]
