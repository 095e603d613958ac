"""Compact a shard folder: the parts of many input files merged into a few large Parquet files.

A query of an attached store opens every part of each table it reads, ~0.2 ms a file: a crawl's 90,000 input
files cost seconds to minutes a query before a row is read. `compact` merges each crawl folder's parts, table by
table, into files of up to `target_bytes`, each row with its part's prefix (column part_prefix). The views go on
reading a part's rows only while a ledger entry names its prefix: a file re-ingested later (--force, a new version)
leaves its compacted rows unread, as it leaves a part.

Exactly once at every step (the views: attach.py):
- a compacted file is written aside, then put in place (a rename; an object store's PUT is atomic). Named by no
  manifest, it is never read;
- its manifest (`<token>.json`, the parts it holds) is written last, atomically: from then on the views read the
  compacted rows in place of those parts, whether the parts are still there or not;
- then the parts are deleted. A compaction killed before that is finished by the next: parts a manifest names are
  deleted, and compacted files that no manifest names are removed.
Compacted files are merged again with the parts published since while they are small (under half the target), and
whenever they hold rows of a prefix that no ledger entry names any more (a file ingested again): those rows are
dropped then. The new manifest lists the files it replaces, and the views read those no more; they are deleted
after it, files first, then their manifests (each step again finished by the next compaction when killed).
One compaction at a time: an flock in a local folder (on an object store, run one at a time; a compacted file
without a manifest is removed there only a day later, in case another compaction is still writing it). An ingest
may publish meanwhile: parts whose ledger entry is not written yet stay as they are, for the next compaction.
Last, the ledger's entry files are folded into one Parquet file (ledger.py), unless an ingest is writing.
"""
from __future__ import annotations

import fcntl
import os
import re
import secrets
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb

from provenance import __version__
from provenance.errors import StoreError, first_line
from provenance.ingest.jobs import TABLES
from provenance.scale.attach import columns_of, load_httpfs, no_rows, shard_folder
from provenance.scale.layout import COMPACT, EMPTY, LEDGER, ShardDir
from provenance.scale.ledger import Fold, fold, read_ledger
from provenance.sqlfiles import literal
from provenance.store import Store

TARGET_BYTES = 256 << 20  # of parts merged into one file (DuckDB reads files of 100 MB to 1 GB best)
LOCK = "_compact.lock"
UNNAMED_GRACE_S = 86_400  # a compacted file without a manifest on an object store: another compaction's, still writing?
PART_RE = re.compile(r"^([0-9a-f]+-[0-9a-f]+)-[0-9]+[.]parquet$")  # a published part's name: <prefix>-<n>.parquet


@dataclass
class Compaction:
    """What a compaction did."""

    path: str
    parts: int = 0  # published parts merged (and deleted)
    files: int = 0  # compacted files written
    merged: int = 0  # compacted files merged again (small ones, or with rows no ledger entry names any more)
    bytes_before: int = 0  # of the parts and compacted files merged
    bytes_after: int = 0  # of the files written
    finished: int = 0  # parts and compacted files an interrupted compaction had merged, deleted now
    removed: int = 0  # compacted files of an interrupted compaction that no manifest named, removed
    notes: list[str] = field(default_factory=list)  # folders left as they were, and why (one line each)
    ledger: Fold = field(default_factory=Fold)  # the ledger's entries folded (ledger.py)
    seconds: float = 0.0


def compact(output: str, target_bytes: int = TARGET_BYTES) -> Compaction:
    """Merge the published parts of the shard folder at output (a folder or s3:// URL), crawl folder by crawl folder,
    with its compacted files that are small or hold rows no ledger entry names any more (those rows are dropped)."""
    out = shard_folder(output)
    t0 = time.perf_counter()
    result = Compaction(out.uri)
    with _locked(out), tempfile.TemporaryDirectory(prefix="provenance-compact-") as tmp:
        con = duckdb.connect(config={"temp_directory": os.path.join(tmp, "spill")})
        try:
            if not out.local:
                load_httpfs(con)
            named = {e["part_prefix"] for e in read_ledger(out) if e.get("part_prefix")}
            with Store(":memory:") as store:  # this version's columns: a compacted file has them all (see _merge)
                columns = {t: columns_of(store, t) for t in (*TABLES, "sources")}
            con.execute("CREATE TEMP TABLE named AS SELECT unnest(?::VARCHAR[]) AS part_prefix", [sorted(named)])
            for table in TABLES:
                for crawl in out.list_dirs(table):
                    if crawl != f"crawl={EMPTY}":
                        _compact_folder(out, con, f"{table}/{crawl}", columns[table], named, target_bytes, tmp, result)
            _fold_ledger(out, con, columns["sources"], tmp, result)
        finally:
            con.close()
    result.seconds = time.perf_counter() - t0
    return result


def _fold_ledger(out: ShardDir, con: duckdb.DuckDBPyConnection, sources: list[tuple[str, str]], tmp: str, result: Compaction) -> None:
    try:
        result.ledger = fold(out, con, sources, tmp)
    except (duckdb.Error, OSError) as exc:  # a full disk, a folder gone read-only
        result.notes.append(f"{LEDGER}: not folded: {first_line(exc)}")


@dataclass(frozen=True)
class _Held:
    """A compacted file that its manifest commits."""

    manifest: str  # its manifest's relative path
    size: int
    parts: tuple[str, ...]  # the names of the published parts whose rows it holds


def _compact_folder(out: ShardDir, con: duckdb.DuckDBPyConnection, folder: str, columns: list[tuple[str, str]], named: set[str],
                    target_bytes: int, tmp: str, result: Compaction) -> None:
    """Finish an interrupted compaction of folder, then merge its parts that a ledger entry names, with its compacted
    files that are small or hold dead rows."""
    parts = {rel: i.size for rel, i in out.files(folder, ".parquet").items() if PART_RE.match(_name(rel))}
    try:
        held, covered = _finish(out, folder, parts, result)
    except ValueError as exc:  # a manifest that is not JSON: what it commits is unknown (queries name it too)
        result.notes.append(f"{folder}: a manifest cannot be read ({first_line(exc)})")
        return
    except OSError as exc:  # a file that cannot be deleted (a folder gone read-only)
        result.notes.append(f"{folder}: left as it is: {first_line(exc)}")
        return
    todo = [rel for rel in sorted(parts) if rel not in covered and _prefix(rel) in named]
    dead = {rel for rel, h in held.items() if any(_prefix(p) not in named for p in h.parts)}
    todo += sorted(rel for rel, h in held.items() if rel in dead or h.size < target_bytes // 2)
    sizes = {**parts, **{rel: h.size for rel, h in held.items()}}
    for group in _groups(todo, sizes, target_bytes):
        if len(group) > 1 or group[0] in dead:  # (one file merged alone gains nothing, but for the rows it drops)
            try:
                _merge(out, con, folder, columns, group, parts, held, named, tmp, result)
            except (duckdb.Error, OSError) as exc:  # a part deleted meanwhile (--force), a damaged one, a full disk
                result.notes.append(f"{folder}: {len(group)} files left as they are: {first_line(exc)}")


def _finish(out: ShardDir, folder: str, parts: dict[str, int], result: Compaction) -> tuple[dict[str, _Held], set[str]]:
    """Finish what a killed compaction left: delete the published parts a manifest names, the compacted files and
    manifests that a later manifest replaces, and the compacted files that no manifest names. Return the compacted
    files committed (by relative path) and the published parts that manifests name."""
    here = f"{folder}/{COMPACT}"
    files = out.files(here)
    manifests = {rel: _manifest(out, rel) for rel in files if rel.endswith(".json") and _name(rel) != f"{EMPTY}.json"}
    replaced = {f"{here}/{name}" for m in manifests.values() for name in m.get("replaces", ())}
    for rel in sorted(manifests):
        if _data(rel) not in files and _data(rel) not in replaced:  # removed by hand: its parts that remain are read again
            listed = [f"{folder}/{name}" for name in manifests.pop(rel).get("parts", ())]
            out.delete(rel)
            result.notes.append(f"{folder}: {_name(_data(rel))} is missing (removed by hand?); its manifest is removed, so the "
                                f"{sum(p in parts for p in listed)} of its {len(listed)} parts still here are read again, and the "
                                "rows of the others are lost")
    covered = {f"{folder}/{name}" for m in manifests.values() for name in m.get("parts", ())}
    for rel in sorted(covered & parts.keys()):
        out.delete(rel)
        result.finished += 1
    for rel in sorted(replaced):  # the compacted file first: its manifest then names nothing that is read
        there = [r for r in (rel, _manifest_of(rel)) if r in files]
        for r in there:
            out.delete(r)
        result.finished += bool(there)
    committed = {_data(rel): rel for rel in manifests if _data(rel) not in replaced}
    now = time.time()
    for rel, info in files.items():
        unnamed = rel.endswith(".parquet") and rel not in committed and rel not in replaced and _name(rel) != f"{EMPTY}.parquet"
        if (unnamed or rel.endswith(".tmp")) and (out.local or (info.mtime is not None and now - info.mtime.timestamp() > UNNAMED_GRACE_S)):
            out.delete(rel)
            result.removed += unnamed
    held = {rel: _Held(m, files[rel].size, tuple(manifests[m].get("parts", ()))) for rel, m in committed.items()}
    return held, covered


def _data(manifest: str) -> str:
    """The compacted file of a manifest."""
    return manifest[: -len(".json")] + ".parquet"


def _manifest_of(data: str) -> str:
    return data[: -len(".parquet")] + ".json"


def _groups(todo: list[str], sizes: dict[str, int], target_bytes: int) -> list[list[str]]:
    """Files in runs of about target_bytes together (a last file alone joins the run before)."""
    groups: list[list[str]] = [[]]
    total = 0
    for rel in todo:
        if groups[-1] and total + sizes[rel] > target_bytes:
            groups.append([])
            total = 0
        groups[-1].append(rel)
        total += sizes[rel]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2] += groups.pop()
    return [g for g in groups if g]


def _merge(out: ShardDir, con: duckdb.DuckDBPyConnection, folder: str, columns: list[tuple[str, str]], group: list[str],
           parts: dict[str, int], held: dict[str, _Held], named: set[str], tmp: str, result: Compaction) -> None:
    """Write one compacted file of group's parts and compacted files (their rows that a ledger entry names), put it in
    place, write its manifest, then delete the parts and the compacted files it replaces. Rows of no live prefix at all
    (compacted files whose files were all ingested again): nothing is written, the files are deleted."""
    token = secrets.token_hex(8)
    local = os.path.join(tmp, f"{token}.parquet")
    published, merged = [rel for rel in group if rel in parts], [rel for rel in group if rel in held]
    # every column of this version (a view attached before binds on the first file of its glob: a file of parts of an
    # older layout lacking one failed it), then the files' own by name (the missing ones NULL), in file order
    selects = [no_rows(columns)]
    if published:
        selects.append(f"SELECT * EXCLUDE (filename), regexp_extract(filename, {literal(PART_RE.pattern[1:])}, 1) AS part_prefix "
                       f"FROM read_parquet({_list(out, published)}, union_by_name = true, filename = true, hive_partitioning = false)")
    if merged:
        selects.append(f"SELECT * FROM read_parquet({_list(out, merged)}, union_by_name = true, hive_partitioning = false) "
                       "WHERE part_prefix IN (SELECT part_prefix FROM named)")
    rows = con.execute(f"COPY ({' UNION ALL BY NAME '.join(selects)}) TO {literal(local)} (FORMAT parquet, COMPRESSION zstd)").fetchall()[0][0]
    written = os.path.getsize(local)
    if rows:
        out.put_file(local, f"{folder}/{COMPACT}/{token}.parquet")
        out.write_json(f"{folder}/{COMPACT}/{token}.json", {
            "parts": [_name(p) for p in published] + [p for m in merged for p in held[m].parts if _prefix(p) in named],
            "replaces": [_name(m) for m in merged], "bytes": written, "version": __version__,
            "created_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" "),
        })
    # (the views read the new file now: a kill from here on is finished by the next compaction; with no rows, nothing
    # read is deleted)
    for part in published:
        out.delete(part)
    for m in merged:
        out.delete(m)
        out.delete(held[m].manifest)
    result.parts += len(published)
    result.files += bool(rows)
    result.merged += len(merged)
    result.bytes_before += sum(parts[p] for p in published) + sum(held[m].size for m in merged)
    result.bytes_after += written if rows else 0


def _manifest(out: ShardDir, rel: str) -> dict:
    m = out.read_json(rel) or {}
    if not isinstance(m, dict) or not all(isinstance(m.get(k, []), list) for k in ("parts", "replaces")):
        raise ValueError(f"{rel}: not a manifest of provenance")
    return m


def _list(out: ShardDir, rels: list[str]) -> str:
    return "[" + ", ".join(literal(out.url(rel)) for rel in rels) + "]"


def _prefix(rel: str) -> str:
    """A published part's prefix (from its name)."""
    m = PART_RE.match(_name(rel))
    return m.group(1) if m else ""


def _name(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]


@contextmanager
def _locked(out: ShardDir) -> Iterator[None]:
    """Hold DIR/_compact.lock (local folders) for the compaction: a second one refuses in one line. An flock, released
    by the kernel when its process ends however it ends (the file stays: unlinking it would let a third process lock
    a new file while a second still holds the old one)."""
    if not out.local:
        yield
        return
    path = os.path.join(out.root, LOCK)
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as exc:
        raise StoreError(f"{out.uri}: cannot compact a folder this process cannot write ({exc.strerror or exc})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            raise StoreError(f"{out.uri}: another compaction is running ({holder or 'a process'})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{socket.gethostname()} pid {os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # (releases the lock)
