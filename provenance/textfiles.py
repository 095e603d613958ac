"""Document texts as Parquet files in a folder beside the store (layout 0008).

`<store>.texts/source-<source_id>.parquet` holds one ingested file's texts (doc_id, text), zstd
compressed, written by the worker that read the file. The `texts` view reads the folder through
the `texts_files` macro (sql/views/texts_files.sql), which keeps only rows of sources in the
ledger: a file moved into place whose transaction never committed (a killed process) is never
visible, and is deleted by the next ingest.

Why not a table: the single writer process compressed every byte of text with DuckDB's zstd at
checkpoint, more than half of its work (1.5 of 2.7 CPU-s per 20,000 WET documents, measured), which
capped the ingest rate of any machine at ~7,000 documents/s whatever its cores. Workers compress
their own files in parallel; the writer only renames them.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from provenance.arrow_views import registered
from provenance.sqlfiles import literal, load_query, table_kind

if TYPE_CHECKING:
    import duckdb

SCHEMA_FILE = "_schema.parquet"  # zero rows: the folder's glob always matches a file with the columns
_SOURCE_FILE = re.compile(r"source-(\d+)\.parquet$")


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
    new rows and replaced atomically. Rows show in `texts` once their source is in the ledger.
    """
    ensure(con, folder)
    with registered(con, _new_texts=rows):
        for (sid,) in con.execute(load_query("texts_new_sources")).fetchall():
            final = source_file(folder, sid)
            current = final if final.exists() else folder / SCHEMA_FILE
            tmp = folder / f".{final.name}.tmp"
            con.sql(load_query("texts_merge_rows"), params={"files": [str(current)], "source_id": sid}).write_parquet(str(tmp), compression="zstd")
            os.replace(tmp, final)


def remove(folder: Path, source_ids: Iterable[int]) -> None:
    for sid in source_ids:
        source_file(folder, sid).unlink(missing_ok=True)


def remove_orphans(folder: Path, committed: set[int]) -> int:
    """Delete source files whose source is not in the ledger (left by a killed process); return how many."""
    n = 0
    for path in folder.glob("source-*.parquet"):
        m = _SOURCE_FILE.match(path.name)
        if m and int(m.group(1)) not in committed:
            path.unlink(missing_ok=True)
            n += 1
    return n


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
