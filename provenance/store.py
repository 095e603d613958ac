"""The DuckDB store: open, migrate, run named SQL, and check consistency."""
from __future__ import annotations

import os
import re
import shutil
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    import polars as pl

import duckdb

from provenance import textfiles
from provenance.arrow_views import registered
from provenance.config import default_db_path
from provenance.errors import StoreError, StoreLockedError, UsageError, first_line, machine_limit, unreadable_file, utf8_text
from provenance.sqlfiles import load_query, schema_files, table_kind, view_files

# the views a file of sql/views/ defines (its macros came with schema files, which a read-only open never lacks)
_DEFINES = re.compile(r"CREATE OR REPLACE VIEW (\w+)", re.IGNORECASE)
_DEFINES_TEMP = re.compile(r"CREATE OR REPLACE (?=VIEW|MACRO)", re.IGNORECASE)

def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreLockedError(path) from None
        raise StoreError(f"{path}: cannot open store: {first_line(exc)}") from None
    except duckdb.Error as exc:
        raise StoreError(f"{path}: not a DuckDB store or unreadable: {first_line(exc)}") from None


class Store:
    """A DuckDB file holding documents, features, metrics; migrated on open."""

    def __init__(self, path: str | os.PathLike[str] | None = None, read_only: bool = False, reattach: bool = False,
                 create: bool = True) -> None:
        """reattach: open a store attached to shards that are gone, for `provenance attach` to point it at them again.
        create=False: a missing store is an error (read_only implies it): a mistyped --db is not a new, empty store."""
        self.path = str(path or default_db_path())
        # A Store is one DuckDB connection, which runs one statement at a time: frame() and query_frame() hold this
        # lock from the statement to its last row (from several threads, one's rows went to another's caller without
        # an error). query() and sql() hand back the connection itself: a thread of its own wants a Store of its own.
        self._lock = threading.RLock()
        if (read_only or not create) and self.path != ":memory:" and not Path(self.path).exists():
            raise StoreError(f"{self.path}: no such store; create one with 'provenance ingest'")
        self.texts_dir = textfiles.texts_dir(self.path)  # document texts: Parquet files beside the store
        self.con = _connect(self.path, read_only)
        self.read_only, self.closed = read_only, False
        if self.path != ":memory:":
            self._refuse_foreign(read_only)
            gone = self._gone_shards()
            if gone and not reattach:
                self.con.close()
                raise StoreError(f"{self.path}: the store reads shards at {gone}, which are gone (moved or deleted); point it at "
                                 f"them where they are now: provenance attach NEW_FOLDER --db {self.path}")
            if gone:
                return  # its views cannot be rebuilt over missing files: attach replaces them first
        if not read_only:
            self._refuse_newer()
            try:
                self.migrate()
            except Exception as exc:  # a folder it cannot write in (its write-ahead log), a full disk; not a bug in our SQL
                if not machine_limit(exc):
                    raise
                self.con.close()
                raise StoreError(f"{self.path}: cannot write the store: {first_line(exc)}") from None
        elif self.path != ":memory:" and self._pending():
            self.con.close()  # written by an older provenance: upgrade once with write access
            try:
                with Store(self.path):  # opening for writing migrates
                    pass
            except StoreError as exc:
                raise StoreError(f"{self.path}: the store needs a schema upgrade, which needs write access ({exc})") from None
            self.con = _connect(self.path, read_only)
        if read_only:
            self._point_texts_view(temporary=True)
            self._missing_views_as_temporary()

    def _gone_shards(self) -> str | None:
        """The local shard folder this store is attached to, when it no longer exists."""
        try:
            rows = self.query("ingest_attached_dir").fetchall()  # all: no unfinished result left (a user's statement then fails)
        except duckdb.Error:
            return None  # a new store: no attachments table yet
        if not rows or "://" in rows[0][0] or Path(rows[0][0]).is_dir():
            return None
        return str(rows[0][0])

    def _applied(self) -> set[str] | None:
        """The schema files this store's _migrations table records, or None when it has no such table (of our columns)."""
        try:
            return {r[0] for r in self.con.execute("SELECT name, applied_at FROM _migrations").fetchall()}
        except duckdb.Error:
            return None

    def _refuse_newer(self) -> None:
        """Refuse to write a store whose schema has files this version does not know (a newer provenance wrote it): this
        one would put back its own views over that schema (texts read from files that a newer layout no longer reads)."""
        unknown = sorted((self._applied() or set()) - {path.name for path in schema_files()})
        if unknown:
            self.con.close()
            raise StoreError(f"{self.path}: written by a newer provenance (schema {', '.join(unknown)}); "
                             "upgrade provenance to write to it (reading it works)")

    def _refuse_foreign(self, read_only: bool) -> None:
        """Refuse a DuckDB file that is not a provenance store: never add our tables to another database
        (a --db that named the wrong file), nor read one as a store. An empty file, or one whose first
        migration was interrupted (an empty _migrations alone), becomes a store when opened for writing."""
        names = [r[0] for r in self.con.execute(load_query("store_objects")).fetchall()]
        applied = self._applied()
        ours = applied is not None and ("0001_core.sql" in applied or (not applied and names == ["_migrations"]))  # another tool's
        if (ours and (applied or not read_only)) or (not names and not read_only):  # _migrations records other names
            return
        self.con.close()
        others = [] if ours else names
        what = (f"a DuckDB database of other tables ({', '.join(others[:5])}{', ...' if len(others) > 5 else ''})" if others
                else "an empty DuckDB file")
        hint = "give --db a new file or a provenance store" if others else "create one with 'provenance ingest'"
        raise StoreError(f"{self.path}: not a provenance store ({what}); {hint}")

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (a checkpoint happens on close)."""
        self.closed = True
        self.con.close()
        if self.path == ":memory:":
            shutil.rmtree(self.texts_dir, ignore_errors=True)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def migrate(self) -> list[str]:
        """Apply schema files not yet recorded in _migrations, then (re)create the views."""
        self.con.execute("CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR, applied_at TIMESTAMP)")
        done = {r[0] for r in self.con.execute("SELECT name FROM _migrations").fetchall()}
        applied = []
        for path in schema_files():
            if path.name in done:
                continue
            with self.transaction():
                self.con.execute(path.read_text(encoding="utf-8"))
                if path.name in _DATA_UPGRADES:
                    _DATA_UPGRADES[path.name](self.con)
                self.con.execute("INSERT INTO _migrations VALUES (?, ?)", [path.name, _now()])
            applied.append(path.name)
        for path in view_files():
            self.con.execute(path.read_text(encoding="utf-8"))
        self._point_texts_view(temporary=False)
        return applied

    def _point_texts_view(self, temporary: bool) -> None:
        """(Re)define `texts` over this store's texts folder, wherever the store now lives.

        A writable open rewrites the stored view; a read-only one shadows it with a temporary view
        (a store that was moved or copied with its folder still reads its texts). A store attached to
        Parquet shards keeps its shard view.
        """
        try:
            if self.query("ingest_attached_dir").fetchall():
                return
        except duckdb.Error:
            return  # not a provenance store: the commands say so themselves
        if temporary and not (self.texts_dir / textfiles.SCHEMA_FILE).exists():
            if table_kind(self.con, "texts") is None:  # its making was interrupted before its texts view: no texts yet
                self.con.execute(f"CREATE TEMP VIEW texts AS {load_query('texts_empty')}")
            return  # copied without its folder: queries on texts say which files are missing
        if not temporary:
            textfiles.ensure(self.con, self.texts_dir)
        if not textfiles.view_reads(self.con, self.texts_dir):  # the store was moved or copied since
            self.con.execute(textfiles.view_sql(self.texts_dir, temporary))

    def _missing_views_as_temporary(self) -> None:
        """Define, for this connection, the views of sql/views/ that a store written by an older provenance lacks: a
        writable open (re)creates them all in the store, a read-only one cannot."""
        try:
            have = {r[0] for r in self.con.execute(load_query("store_view_names")).fetchall()}
        except duckdb.Error:
            return
        for path in view_files():
            text = path.read_text(encoding="utf-8")
            if not set(_DEFINES.findall(text)) <= have:
                self.con.execute(_DEFINES_TEMP.sub("CREATE OR REPLACE TEMP ", text))

    def _pending(self) -> bool:
        """Whether schema files are not yet applied (read-only check)."""
        done = self._applied()
        return done is not None and any(path.name not in done for path in schema_files())  # None: not a store (yet)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block in one transaction: all of it commits, or none of it."""
        self._open()
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def require_writable(self, what: str) -> None:
        """Raise StoreError, before any work, when `what` (a run to record) cannot write: the store is read-only or
        closed (DuckDB said so only at the write, as its own exception, after an estimate's whole computation)."""
        self._open()
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only, so {what} cannot be recorded; open it with Store(path) "
                             "(or pass record_run=False / record=False where the function has it)")

    def _open(self) -> None:
        if self.closed:
            raise StoreError(f"{self.path}: the store was closed; open it again with Store(path)")

    # -- SQL -------------------------------------------------------------------------------
    def query(self, name: str, **params: Any) -> duckdb.DuckDBPyConnection:
        """Run sql/queries/<name>.sql with $name parameters bound; return the cursor."""
        self._open()
        return self.con.execute(load_query(name), params or None)

    def sql(self, text: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        """Run user SQL; DuckDB errors become one-line StoreErrors."""
        self._open()
        try:
            return self.con.execute(text, params)
        except duckdb.Error as exc:
            raise sql_error(exc) from None

    def statement(self, text: str) -> duckdb.DuckDBPyRelation | None:
        """A user's one SQL statement as a relation, read as it is fetched (None when it has no rows to give).

        Text without a statement, or with several (DuckDB would run them all and show the last), is a
        UsageError; DuckDB's errors, here or while the rows are fetched, are the caller's to say in one line.
        """
        try:
            n = len(duckdb.extract_statements(text))
            if n == 1:
                return self.con.sql(text)
        except duckdb.Error as exc:
            raise sql_error(exc) from None
        if n == 0:
            raise UsageError("no SQL statement to run (the query is empty, or only comments)")
        raise UsageError(f"one SQL statement at a time, please: this text holds {n}")

    def frame(self, text: str, params: Any = None) -> "pl.DataFrame":
        """Run SQL and return the result as a polars DataFrame (one call at a time: see _lock)."""
        with self._lock:
            return to_polars(self.sql(text, params))

    def query_frame(self, name: str, **params: Any) -> "pl.DataFrame":
        """Run a named query and return the result as a polars DataFrame (one call at a time: see _lock)."""
        with self._lock:
            return to_polars(self.query(name, **params))

    def insert_metrics(self, rows: Any) -> None:
        """Append an Arrow table of metrics rows (the metrics columns) in the caller's transaction."""
        with registered(self.con, _metric_rows=rows):
            self.query("metrics_insert")

    def load_parts(self, table: str, files: list[str], query: str | None = None) -> None:
        """Append staged parts (Arrow IPC files, see FileJob.part_format) to an ingest table, by the query
        `ingest_load_<table>` or the one named (the tokens' depends on the dictionary's size), which reads them once.

        Streamed a record batch (a worker's batch of documents) at a time, each read when DuckDB asks for it and
        freed once it is copied: memory-mapped whole, the parts of one 80,000-page file held 500 MB of the
        writer's memory (its peak: 821 MB), and a file's parts grow with the file.
        """
        import pyarrow as pa

        def batches() -> Iterator["pa.RecordBatch"]:
            for f in files:
                with pa.OSFile(f) as source:
                    part = pa.ipc.open_file(source)
                    for i in range(part.num_record_batches):
                        yield part.get_batch(i)

        with pa.OSFile(files[0]) as first:
            schema = pa.ipc.open_file(first).schema
        with registered(self.con, _parts=pa.RecordBatchReader.from_batches(schema, batches())):
            self.query(query or f"ingest_load_{table}")

    def token_dictionary_rows(self) -> tuple[int, int]:
        """Rows of the token dictionary: (merged, pending their merge); see sql/schema/0010."""
        merged, pending = self.query("tokens_dictionary_rows").fetchall()[0]  # fetchall: leaves no unfinished result
        return int(merged), int(pending)

    def merge_tokens(self) -> None:
        """Merge the pending tokens into the dictionary, in one transaction (a scan of the dictionary)."""
        with self.transaction():
            self.query("tokens_merge")
            self.query("tokens_clear_pending")

    def insert_texts(self, rows: Any) -> None:
        """Add (doc_id, text) rows to the store's texts files (see textfiles.add_texts)."""
        textfiles.add_texts(self.con, self.texts_dir, rows)

    def insert_token_counts(self, rows: Any) -> None:
        """Insert token count rows (source_id, crawl, year, lang, block, tokenizer, token, count) as token_blocks."""
        from provenance.tokencounts import insert_token_counts

        insert_token_counts(self.con, rows)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Tune the connection for many small load transactions (ingest's writer), then checkpoint once.

        Inside: one DuckDB thread (the cores belong to the workers), a checkpoint each 256 MiB of WAL, and
        512 MiB of memory for DuckDB. With its default limit (80% of the machine's memory) and a checkpoint
        each 1 GB, its cache of the store's blocks and the data not yet checkpointed grew with the run (the
        writer's peak: 1.24 GB after 400,000 pages, 0.68 GB with these settings, in the same time: see
        benchmarks/writer_memory.py); past the limit DuckDB drops cached blocks and spills to a temporary folder. (DuckDB's 16 MB
        default made every other file pay a checkpoint that recompressed the partly filled row group of
        `texts`, a cost that grew with the store, when texts were a table.) Committed data stays durable
        in the WAL; the final checkpoint runs on all threads, with DuckDB's default memory limit.
        """
        threads = self.threads()
        self.set_threads(1)
        self.con.execute("SET checkpoint_threshold = '256MiB'")
        self.con.execute("SET memory_limit = '512MiB'")
        try:
            yield
        finally:  # DuckDB's defaults, which a store never changes (a limit read back as text lost its digits: 18.8 -> 18.7 GiB)
            self.set_threads(threads)
            self.con.execute("RESET checkpoint_threshold")
            self.con.execute("RESET memory_limit")
        if self.path != ":memory:":
            self.con.execute("CHECKPOINT")

    def threads(self) -> int:
        """Return DuckDB's worker-thread setting for this connection."""
        return int(self.con.execute("SELECT current_setting('threads')").fetchone()[0])

    def set_threads(self, n: int) -> None:
        """Set DuckDB's worker threads for this connection."""
        self.con.execute(f"SET threads = {max(1, int(n))}")  # an int, never user text

    def new_run(self, command: str, config: dict[str, Any]) -> int:
        """Record a run of a command with its configuration; return its run_id."""
        import json

        from provenance import __version__

        self._open()
        run_id = self.con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()[0]
        self.con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, NULL)",
            [run_id, command, __version__, json.dumps(_valid_text(config), default=str, sort_keys=True), _now()],
        )
        return int(run_id)

    def finish_run(self, run_id: int) -> None:
        """Stamp a run's finish time."""
        self.con.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?", [_now(), run_id])

    def check(self) -> list[str]:
        """Return consistency violations (empty when the store is consistent); a file it reads that cannot be read
        (a texts file damaged by hand) is one."""
        try:
            return [name for name, bad in self.query("consistency_check").fetchall() if bad]
        except duckdb.Error as exc:
            if unreadable_file(exc) is None:
                raise
            return [f"a file it reads cannot be read ({first_line(exc)})"]


def repeated_captures(store: Store, run_id: int | None = None) -> str | None:
    """A line on the documents (of ingest run run_id's files; None: of the store) that repeat a capture another document
    holds, the same URL, fetch time and text (sql/queries/ingest_repeated_captures.sql); None when there are none."""
    row = store.query("ingest_repeated_captures", run_id=run_id).fetchone()
    if row is None or not row[0]:
        return None
    n, path, other = row
    which = "of this run " if run_id is not None else "(each copy counted) "
    return (f"{n:,} document(s) {which}repeat a capture that another document holds (the same URL, fetch time and text), "
            f"e.g. in {path} and {other}: the same records ingested twice (a WACZ and its WARC, a concatenated, split or "
            "recompressed copy, whose bytes differ); duplicate rates count them twice. Keep one: provenance remove PATH "
            "deletes a file's rows")


def to_polars(cur: duckdb.DuckDBPyConnection) -> "pl.DataFrame":
    """Return a DuckDB result as a polars DataFrame (DuckDB 2 dropped `.pl()`)."""
    import warnings

    import polars as pl

    fetch = getattr(cur, "to_arrow_table", None) or getattr(cur, "fetch_arrow_table")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "extra copy of the rows": fine for results
        return pl.from_arrow(fetch())


def sql_error(exc: Exception) -> StoreError:
    """A user's SQL failed in DuckDB (binding it, or running it): one line (binder errors list candidates)."""
    return StoreError(f"SQL error: {first_line(exc, limit=2000)}")


def _upgrade_token_counts(con: duckdb.DuckDBPyConnection) -> None:
    from provenance.tokencounts import upgrade_token_counts_table

    upgrade_token_counts_table(con)


def _upgrade_block_lists(con: duckdb.DuckDBPyConnection) -> None:
    from provenance.tokencounts import upgrade_block_lists

    upgrade_block_lists(con)


def _upgrade_hash_columns(con: duckdb.DuckDBPyConnection) -> None:
    """0009: move rows into the tables declared with uncompressed hash columns."""
    _move_rows(con, ("signatures", "band_keys", "block_tokens", "tokens"), "0009")


def _upgrade_block_tokens_compression(con: duckdb.DuckDBPyConnection) -> None:
    """0012: move block_tokens' rows into the table declared with its columns' compression."""
    _move_rows(con, ("block_tokens",), "0012")


def _move_rows(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], version: str) -> None:
    """Move each table's rows into <table>_<version> (made by that schema file), which then takes its name; a table
    that is a view (a store attached to Parquet shards) keeps it, and the new table is dropped (identifiers are constants)."""
    for table in tables:
        kind = table_kind(con, table)
        if kind is not None and kind != "VIEW":
            con.execute(f"INSERT INTO {table}_{version} SELECT * FROM {table}")
            con.execute(f"DROP TABLE {table}")
            con.execute(f"ALTER TABLE {table}_{version} RENAME TO {table}")
        else:
            con.execute(f"DROP TABLE {table}_{version}")


def _upgrade_token_dictionary(con: duckdb.DuckDBPyConnection) -> None:
    """0010: the tokens table becomes token_dict (renamed, no copy), read with the pending tokens through the view `tokens`."""
    if table_kind(con, "tokens") == "VIEW":  # attached to Parquet shards: their view stays; the tables stay empty
        con.execute("ALTER TABLE token_dict_0010 RENAME TO token_dict")
        return
    con.execute("DROP TABLE token_dict_0010")
    con.execute("ALTER TABLE tokens RENAME TO token_dict")
    con.execute(load_query("tokens_view"))


def _upgrade_texts_table(con: duckdb.DuckDBPyConnection) -> None:
    textfiles.upgrade_texts_table(con)


# Schema files whose data change needs Python (run in the same transaction, right after the file).
_DATA_UPGRADES = {"0006_store_layout.sql": _upgrade_token_counts, "0007_block_tokens.sql": _upgrade_block_lists,
                  "0008_texts_files.sql": _upgrade_texts_table, "0009_hash_columns_uncompressed.sql": _upgrade_hash_columns,
                  "0010_token_dictionary.sql": _upgrade_token_dictionary,
                  "0012_block_tokens_compression.sql": _upgrade_block_tokens_compression}


def _valid_text(value: Any) -> Any:
    """A run's configuration with every string valid UTF-8 (errors.utf8_text): a path's undecodable bytes
    made JSON that DuckDB refuses ("invalid high surrogate")."""
    if isinstance(value, (str, os.PathLike)):
        return utf8_text(os.fspath(value))
    if isinstance(value, dict):
        return {k: _valid_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_valid_text(v) for v in value]
    return value


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
