"""A shard folder's ledger: one JSON entry per finished input file, by key (its content's sha256, else its address's).

```
DIR/_ledger/<key>.json            an entry, as the task that published its file wrote it; or a tombstone
DIR/_ledger/_fold/<seq>.parquet   folded entries: key, entry (its JSON text) and the columns the views read
DIR/_folded/<key>.json            a folded entry file, moved aside for lookups by key
DIR/_ledger/_folded.json          the mark of a folded ledger (FOLD_MARK)
```
Every query of an attached store reads the whole ledger (`sources`, and each table's view keeps only the parts an
entry names), and a crawl's is 90,000 files: ~0.15 ms each locally, a request each on an object store. `compact`
folds the entry files into one Parquet file (`fold`), and moves them aside for lookups by key.

The ledger is the entry files that are not tombstones, and the rows of the newest fold (by name) whose key no entry
file has. So an entry written after a fold (a file ingested again, its time recorded anew) overrides its folded row,
and an entry removed after a fold leaves a tombstone (`{"tombstone": true}`) in its place until the next fold.

A fold is exact at every step of a kill: the new fold is written whole (a rename; an object store's PUT is atomic)
with every entry it folds, before the older folds are deleted, and before the entry files it folded are moved aside
(tombstones deleted: their folded copy first). No ingest may write meanwhile: ingest holds a shared flock on
DIR/_ingest.lock (local folders) or leaves a marker `_runs/<run_id>.running` (object stores) while it runs, and a
fold needs the lock alone, or no marker (and leaves its own, which an ingest refuses to start beside).
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from provenance.errors import StoreError, first_line
from provenance.scale.layout import FOLDED, FOLDS, LEDGER, RUNS, ShardDir
from provenance.sqlfiles import literal

TOMBSTONE = {"tombstone": True}
_TOMBSTONE_TEXT = json.dumps(TOMBSTONE, sort_keys=True)  # (ShardDir.write_json's form)
INGEST_LOCK = "_ingest.lock"
FAULT = 'STRUCT("offset" BIGINT, kind VARCHAR, reason VARCHAR, record_id VARCHAR)[]'
FOLD_ROW_GROUP = 16_384  # rows of a fold's row group (sorted by key)
FOLD_MARKER_STALE_S = 3600  # a fold's marker on an object store older than this: a killed fold's (ingests go on)
MOVES_A_STEP = 5000  # entry files moved aside between two refreshes of a fold's marker (object stores: ~a minute)
# A ledger's JSON file that is no object: the views of stores attached before its first fold (by an older version, or
# read-only) read the entry files only, and fail naming it, rather than read an empty ledger (attach.py leaves it out)
FOLD_MARK = f"{LEDGER}/_folded.json"
FOLD_MARK_TEXT = b'"folded by compact: attach again"\n'
_FOLD_NAME = re.compile(r"^[0-9]{8}[.]parquet$")  # <seq>.parquet: the newest is the last by name


def record_columns(sources: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (name, type) columns of a ledger or error record that the views read: those of `sources`, its faults, and
    the prefix of its parts."""
    return [*sources, ("faults", FAULT), ("part_prefix", "VARCHAR")]


def fold_columns(sources: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The columns of a fold: each entry's key and JSON text, then the record columns the views read."""
    return [("key", "VARCHAR"), ("entry", "VARCHAR"), *record_columns(sources)]


# -- lookups and removals by key (ingest's tasks and driver) ---------------------------------------------------------

def lookup(out: ShardDir, key: str) -> dict[str, Any] | None:
    """The entry of key: its entry file's (None for a tombstone), else its folded copy's."""
    entry = out.read_json(f"{LEDGER}/{key}.json")
    if entry is None:
        entry = out.read_json(f"{FOLDED}/{key}.json")
    return None if entry is None or entry.get("tombstone") else entry


def remove(out: ShardDir, key: str, folded: bool) -> None:
    """Remove the entry of key. folded: a fold may hold it (has_folds, asked once a run: none is made while an ingest
    runs), so a tombstone takes its place, before its folded copy goes (killed in between, a lookup finds the
    tombstone first)."""
    if folded:
        out.write_json(f"{LEDGER}/{key}.json", TOMBSTONE)
    else:
        out.delete(f"{LEDGER}/{key}.json")
    out.delete(f"{FOLDED}/{key}.json")


def has_folds(out: ShardDir) -> bool:
    return bool(folds(out))


def folds(out: ShardDir) -> list[str]:
    """The fold files, oldest first (not attach's placeholder)."""
    return [rel for rel in out.list(FOLDS, ".parquet") if _FOLD_NAME.match(rel.rsplit("/", 1)[-1])]


def read_ledger(out: ShardDir) -> list[dict[str, Any]]:
    """Every entry of the ledger (in parallel threads on object stores)."""
    files = {_key(rel): obj for rel, obj in out.read_named(LEDGER, ".json", entry_files).items()}
    entries = [obj for obj in files.values() if not obj.get("tombstone")]
    newest = folds(out)[-1:]
    if newest:
        try:
            rows = pq.read_table(out.full(newest[0]), columns=["key", "entry"], filesystem=out.fs)
        except (pa.ArrowException, OSError) as exc:
            raise StoreError(f"{out.url(newest[0])}: the ledger's fold cannot be read (damaged?): {first_line(exc)}; the entries it "
                             f"holds are in {out.url(FOLDED)}/: copy those {out.url(LEDGER)}/ lacks there, delete the fold, and run "
                             "'provenance compact' again") from None
        entries += [json.loads(e) for k, e in zip(rows["key"].to_pylist(), rows["entry"].to_pylist()) if k not in files]
    return entries


def entry_files(rels: list[str]) -> list[str]:
    """The entry files (and tombstones) among the ledger folder's JSON files: not attach's placeholder, not the mark
    of a folded ledger (their names begin with '_'; an entry's is its key, in hex)."""
    return [rel for rel in rels if not rel.rsplit("/", 1)[-1].startswith("_")]


def _key(rel: str) -> str:
    return rel.rsplit("/", 1)[-1][: -len(".json")]


# -- who writes: ingests (shared), a fold (alone) ----------------------------------------------------------------------

@contextmanager
def writing(out: ShardDir, run_id: int) -> Iterator[None]:
    """Held by an ingest into out while it runs: a shared flock (local; it waits while a fold runs, seconds); on an
    object store a marker in _runs/ (a killed run's stays, and keeps folds off until it is deleted), written before
    it looks for a fold's marker: a fold that runs is then refused."""
    if not out.local:
        marker = f"{RUNS}/{run_id}.running"
        out.write_json(marker, {"run_id": run_id})
        try:
            folding = _markers(out, ".folding", FOLD_MARKER_STALE_S)
            if folding:
                raise StoreError(f"{out.uri}: a compaction is folding its ledger ({out.url(folding[0])}): ingest again when it "
                                 "ends (if no compaction runs, delete that marker)")
            yield
        finally:
            out.delete(marker)
        return
    fd = _lock_file(out)
    if fd is None:  # a folder this process cannot write, and no lock file: the ingest's own writes say so
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _lock_file(out: ShardDir) -> int | None:
    """An fd of DIR/_ingest.lock, made if missing (0644 whatever the umask: other users open it too). Opened for
    writing where it can be (an exclusive flock on NFS needs it), else read-only (a shared flock needs no more: a lock
    file another user made). None where the folder cannot be written and the file is not there."""
    path = os.path.join(out.root, INGEST_LOCK)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        try:
            return os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{path}: cannot open the lock that keeps folds of the ledger from ingests: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o644)
    except OSError:  # (not its owner)
        pass
    return fd


class _Alone:
    """A fold's hold on the ledger: an exclusive flock (local), or its marker in _runs/ (object stores)."""

    def __init__(self, out: ShardDir, marker: str | None = None) -> None:
        self.out, self.marker = out, marker

    def still(self) -> bool:
        """On an object store, refresh the marker (an ingest ignores one an hour old), then look again for ingests'
        markers: false when one began meanwhile. Called between a fold's steps."""
        if self.marker is None:
            return True
        self.out.write_json(self.marker, {"pid": os.getpid(), "at": time.time()})
        return not _markers(self.out, ".running")


@contextmanager
def _alone(out: ShardDir) -> Iterator[tuple[_Alone | None, str | None]]:
    """Hold the ledger for a fold: give (its hold, None); or (None, why not: an ingest is writing into out)."""
    if out.local:
        fd = _lock_file(out)
        if fd is None:
            raise OSError(f"cannot make {os.path.join(out.root, INGEST_LOCK)} (a folder this process cannot write)")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            yield None, "an ingest is writing into it; compact again when it ends"
            return
        except OSError as exc:  # (NFS: an exclusive lock of a file opened read-only)
            os.close(fd)
            raise OSError(f"cannot lock {os.path.join(out.root, INGEST_LOCK)}: {exc.strerror or exc}") from None
        try:
            yield _Alone(out), None
        finally:
            os.close(fd)
        return
    hold = _Alone(out, f"{RUNS}/fold-{secrets.token_hex(4)}.folding")  # (written before it looks for ingests': see writing)
    try:
        if hold.still():
            yield hold, None
        else:
            running = _markers(out, ".running")
            yield None, (f"an ingest is writing into it, or was killed ({len(running)} marker(s) such as {out.url(running[0])}: "
                         "delete those of runs that are not running)")
    finally:
        out.delete(hold.marker)


def _markers(out: ShardDir, suffix: str, stale_s: float | None = None) -> list[str]:
    """The markers in _runs/ that end in suffix (younger than stale_s seconds: a killed fold's is left)."""
    now = time.time()
    return sorted(rel for rel, info in out.files(RUNS, suffix).items()
                  if stale_s is None or info.mtime is None or now - info.mtime.timestamp() < stale_s)


# -- folding (compact) -----------------------------------------------------------------------------------------------

@dataclass
class Fold:
    """What a fold did."""

    entries: int = 0  # entry files folded (moved aside)
    removed: int = 0  # tombstones folded (deleted)
    rows: int = 0  # entries the new fold holds
    note: str | None = None  # why the ledger was not folded


def fold(out: ShardDir, con: Any, sources: list[tuple[str, str]], tmp: str) -> Fold:
    """Fold out's entry files and newest fold into a new fold (con: a DuckDB connection that reads out; sources: the
    columns of this version's `sources`), unless an ingest is writing into out."""
    with _alone(out) as (hold, why):
        return Fold(note=why) if why else _fold(out, con, sources, tmp, hold)


def _fold(out: ShardDir, con: Any, sources: list[tuple[str, str]], tmp: str, hold: _Alone) -> Fold:
    live, dead = {}, set()
    for rel, text in out.read_texts(LEDGER, ".json", entry_files).items():
        text = text.strip()
        if text == _TOMBSTONE_TEXT:  # (as remove writes it; entries are parsed by DuckDB, and read_ledger checked them)
            dead.add(_key(rel))
        elif text:
            live[_key(rel)] = text
    older = folds(out)
    if not live and not dead:
        return Fold()
    con.execute("CREATE OR REPLACE TEMP TABLE _fold_new AS SELECT unnest($keys::VARCHAR[]) AS key, unnest($entries::VARCHAR[]) AS entry",
                {"keys": list(live), "entries": list(live.values())})
    con.execute("CREATE OR REPLACE TEMP TABLE _fold_dead AS SELECT unnest($keys::VARCHAR[]) AS key", {"keys": sorted(dead)})
    rows = "SELECT key, entry FROM _fold_new"
    if older:
        rows += (f" UNION ALL SELECT key, entry FROM read_parquet({literal(out.url(older[-1]))}) "
                 "WHERE key NOT IN (SELECT key FROM _fold_new) AND key NOT IN (SELECT key FROM _fold_dead)")
    local = os.path.join(tmp, "fold.parquet")
    structure = literal(json.dumps(dict(record_columns(sources))))  # (unnest: a column each of its fields, parsed once)
    n = con.execute(f"COPY (SELECT key, entry, unnest(from_json(entry, {structure})) FROM ({rows}) ORDER BY key) "
                    f"TO {literal(local)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {FOLD_ROW_GROUP})").fetchall()[0][0]
    if n:
        seq = int(_stem(older[-1])) + 1 if older else 1
        out.put_file(local, f"{FOLDS}/{seq:08d}.parquet")
        if FOLD_MARK not in out.list(LEDGER, ".json"):  # (before an entry file is moved aside)
            out.write_bytes(FOLD_MARK, FOLD_MARK_TEXT)
    if not hold.still():  # (the new fold is in place, and the entry files override it: exact as it is)
        return Fold(rows=n, note=_BEGAN)
    for rel in older:  # (with no rows: no fold is left, and no tombstone is needed)
        out.delete(rel)
    for key in sorted(dead):  # its folded copy first: a lookup then finds the tombstone, or nothing
        out.delete(f"{FOLDED}/{key}.json")
        out.delete(f"{LEDGER}/{key}.json")
    if not n:  # no fold is left: views that read none are right again
        out.delete(FOLD_MARK)
    moves = [(f"{LEDGER}/{key}.json", f"{FOLDED}/{key}.json") for key in live]
    for i in range(0, len(moves), MOVES_A_STEP):
        if i and not hold.still():
            return Fold(entries=i, removed=len(dead), rows=n, note=_BEGAN)
        out.move_all(moves[i: i + MOVES_A_STEP])
    return Fold(entries=len(live), removed=len(dead), rows=n)


_BEGAN = "an ingest began meanwhile: the fold is in place, and the next compact moves the rest of its entry files aside"


def _stem(rel: str) -> str:
    return rel.rsplit("/", 1)[-1].split(".", 1)[0]


