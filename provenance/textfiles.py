"""Document texts as Parquet files in a folder beside the store (layout 0008; bundles: 0011).

`<store>.texts/source-<source_id>.parquet` holds one ingested file's texts (doc_id, text), zstd
compressed, written by the worker that read the file. Small ones are merged into bundles,
`bundle-<first id>-<last id>-<token>.parquet`, and `texts_bundles` names the bundle of each source
merged (`compact`). The `texts` view reads the folder through the `texts_files` macro
(sql/views/texts_files.sql), which reads a source's rows only from the file that holds them now
(`texts_homes`) and only for sources in the ledger: a file moved into place whose transaction
never committed (a killed process), a bundle not yet recorded, or a source file already bundled is
never visible, and is deleted by the next ingest (`remove_orphans`).

Why not a table: the single writer process compressed every byte of text with DuckDB's zstd at
checkpoint, more than half of its work (1.5 of 2.7 CPU-s per 20,000 WET documents, measured), which
capped the ingest rate of any machine at ~7,000 documents/s whatever its cores. Workers compress
their own files in parallel; the writer only renames them.
Why bundles: every query of `texts` opens each file of the folder (~0.1 ms a file), and a store of
sampled files (--sample-rate over every WET file of a crawl: 90,000 files) holds as many small ones.
Only small files are merged, so the writer recompresses little: a large file costs nothing per byte
to open.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from provenance.arrow_views import registered
from provenance.sqlfiles import literal, load_query, table_kind

if TYPE_CHECKING:
    import duckdb

SCHEMA_FILE = "_schema.parquet"  # zero rows: the folder's glob always matches a file with the columns
_SOURCE_FILE = re.compile(r"source-(\d+)\.parquet$")
_OWN_FILE = re.compile(r"(?:source-\d+|bundle-\d+-\d+-[0-9a-f]+)\.parquet$")  # the files compact and remove_orphans handle
_OWN_TEMP = re.compile(r"\.(?:source-\d+|bundle-\d+-\d+-[0-9a-f]+)\.parquet\.tmp$")  # theirs half written (a killed process)
SMALL_FILE_BYTES = 4 << 20  # a source's texts file under this is merged into a bundle by compact() ...
MIN_SMALL_FILES = 256  # ... once the folder holds this many of them
BUNDLE_BYTES = 256 << 20  # the files of one bundle, at most (one file may pass it)
BUNDLE_ROW_GROUP = 2048  # rows: a lookup of one text decompresses one row group (~8 MB of 4,000-character texts)


def texts_dir(db: str) -> Path:
    """The texts folder of the store at db (a fresh temporary folder for an in-memory store)."""
    if db == ":memory:":
        return Path(tempfile.mkdtemp(prefix="provenance-texts-"))
    return Path(os.path.abspath(db) + ".texts")


def source_file(folder: Path, source_id: int) -> Path:
    return folder / f"source-{int(source_id)}.parquet"


def ensure(con: "duckdb.DuckDBPyConnection", folder: Path) -> None:
    """Create the folder and its zero-row schema file when missing."""
    if (folder / SCHEMA_FILE).exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{SCHEMA_FILE}.tmp"
    con.sql(load_query("texts_empty")).write_parquet(str(tmp))
    os.replace(tmp, folder / SCHEMA_FILE)


def view_sql(folder: Path, temporary: bool = False) -> str:
    """DDL of the texts view over folder (DDL binds no parameters: the path is an escaped literal)."""
    return f"CREATE OR REPLACE {'TEMP ' if temporary else ''}VIEW texts AS SELECT * FROM texts_files({_pattern(folder)})"


def view_reads(con: "duckdb.DuckDBPyConnection", folder: Path) -> bool:
    """Whether the store's own texts view reads folder already. Creating it binds its query, which lists the
    folder: a file per source, so 0.2 s per open at 20,000 sources (a crawl has 90,000), each open."""
    rows = con.execute(load_query("texts_view_definition")).fetchall()  # all: no unfinished result left on the connection
    return bool(rows) and f"texts_files({_pattern(folder)})" in rows[0][0]


def _pattern(folder: Path) -> str:
    return literal(str(folder / "*.parquet"))


def place(staged: str, folder: Path, source_id: int) -> Path:
    """Move a worker's texts file into the folder as the file of source_id (same filesystem: a rename)."""
    final = source_file(folder, source_id)
    try:
        os.replace(staged, final)
    except OSError:  # staging on another filesystem
        shutil.move(staged, final)
    return final


def add_texts(con: "duckdb.DuckDBPyConnection", folder: Path, rows: object) -> None:
    """Add (doc_id, text) rows (anything DuckDB can register: Arrow, polars) to their sources' files.

    For building stores outside ingest (tests, imports); each source's file is rewritten with the
    new rows and replaced atomically (a bundled source's rows come out of its bundle into a file of
    its own). Rows show in `texts` once their source is in the ledger.
    """
    ensure(con, folder)
    homes = dict(con.execute(load_query("texts_home_files")).fetchall())
    with registered(con, _new_texts=rows):
        for (sid,) in con.execute(load_query("texts_new_sources")).fetchall():
            final = source_file(folder, sid)
            current = folder / homes.get(sid, final.name)
            current = current if current.exists() else folder / SCHEMA_FILE
            tmp = folder / f".{final.name}.tmp"
            con.sql(load_query("texts_merge_rows"), params={"files": [str(current)], "source_id": sid}).write_parquet(str(tmp), compression="zstd")
            os.replace(tmp, final)
            if current.name != final.name and current.name != SCHEMA_FILE:  # from its bundle to its own file
                con.execute(load_query("ingest_delete_texts_bundles"), {"ids": [sid]})


def remove(folder: Path, source_ids: Iterable[int]) -> None:
    for sid in source_ids:
        source_file(folder, sid).unlink(missing_ok=True)


def remove_orphans(folder: Path, homes: dict[int, str]) -> int:
    """Delete the source files and bundles that hold no committed source's texts (homes: source id -> the name of
    the file that holds its texts): left by a killed ingest or compaction, or bundles whose sources were all
    replaced since; and their temporary files that a killed process left half written. Returns how many."""
    kept, n = set(homes.values()), 0
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    for name in names:
        if (_OWN_FILE.match(name) and name not in kept) or _OWN_TEMP.match(name):
            (folder / name).unlink(missing_ok=True)
            n += 1
    return n


def compact(con: "duckdb.DuckDBPyConnection", folder: Path, homes: dict[int, str], min_files: int | None = None) -> int:
    """Merge the folder's small source files (under SMALL_FILE_BYTES) into bundles once there are min_files of them;
    return how many files were merged. homes: source id -> the name of the file that holds its texts.

    Each bundle is written under a new name, then recorded in texts_bundles (one statement), then its source
    files are deleted: killed at any point, every text is read from exactly one file (see texts_files.sql).
    Rows of sources replaced later stay in their bundle, never read; a bundle of replaced sources only goes.
    """
    small = []
    for sid, name in sorted(homes.items()):
        if _SOURCE_FILE.match(name):
            try:
                size = (folder / name).stat().st_size
            except OSError:  # --no-text: no file
                continue
            if size < SMALL_FILE_BYTES:
                small.append((sid, name, size))
    if len(small) < max(MIN_SMALL_FILES if min_files is None else min_files, 2):
        return 0
    merged = 0
    for group in _groups(small, BUNDLE_BYTES):
        if len(group) < 2:  # (a last group of one file: nothing to merge it with)
            continue
        merged += len(group)
        ids = [sid for sid, _, _ in group]
        name = f"bundle-{ids[0]}-{ids[-1]}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = folder / f".{name}.tmp"
        try:
            con.sql(load_query("texts_of_files"), params={"files": [str(folder / n) for _, n, _ in group]}).write_parquet(
                str(tmp), compression="zstd", row_group_size=BUNDLE_ROW_GROUP)
            os.replace(tmp, folder / name)
        finally:
            tmp.unlink(missing_ok=True)
        con.execute(load_query("texts_insert_bundle"), {"ids": ids, "file": name})  # one statement: all rows or none
        for _, n, _ in group:
            (folder / n).unlink(missing_ok=True)
    return merged


def _groups(files: list[tuple[int, str, int]], limit: int) -> Iterator[list[tuple[int, str, int]]]:
    """Consecutive runs of files whose sizes add up to at most limit (a run holds at least one file)."""
    group, total = [], 0
    for item in files:
        if group and total + item[2] > limit:
            yield group
            group, total = [], 0
        group.append(item)
        total += item[2]
    if group:
        yield group


def size_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.parquet")) if folder.is_dir() else 0


def upgrade_texts_table(con: "duckdb.DuckDBPyConnection") -> None:
    """Data step of layout 0008: copy a texts table's rows into per-source files, then drop the table.

    Runs inside the migration's transaction; files written before a failure are rewritten by the
    retry (COPY overwrites). A store attached to shards holds `texts` as a view: left as it is.
    """
    kind = table_kind(con, "texts")
    if kind is None or kind == "VIEW":
        return
    path = con.execute(load_query("store_path")).fetchone()[0]
    ids = [r[0] for r in con.execute(load_query("texts_source_ids")).fetchall()]
    if ids:
        folder = texts_dir(path or ":memory:")
        ensure(con, folder)
        for sid in ids:
            con.sql(load_query("texts_of_source"), params={"source_id": sid}).write_parquet(str(source_file(folder, sid)), compression="zstd")
    con.execute("DROP TABLE texts")
