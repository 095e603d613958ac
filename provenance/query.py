"""User queries over the store: run SQL, format results, summarize a store."""
from __future__ import annotations

import io
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterator

import duckdb
import polars as pl
import pyarrow as pa

from provenance import textfiles
from provenance.errors import ProvenanceError, UsageError, interrupt_inside
from provenance.store import Store, sql_error


# Rows fetched at a time (a result of any size is written in the memory of one batch): 8,192 rows of 4 KB texts are
# 32 MB; a wide result gets fewer, about a million cells a batch (3,000 columns: 333 rows)
BATCH_ROWS = 8_192
BATCH_CELLS = 1 << 20
# DuckDB types that polars cannot read (INTERVAL, UNION: an error, inside a list a panic) or shows as bytes (BIT,
# BIGNUM): given as DuckDB's text of them
_AS_TEXT = {"interval", "union", "bit", "bignum", "varint"}


@dataclass
class SqlResult:
    """A statement's columns, and its rows in Arrow batches, fetched as they are read (once)."""

    schema: pa.Schema
    batches: Iterator[pa.RecordBatch]

    def frames(self) -> Iterator[pl.DataFrame]:
        """The rows as polars DataFrames, a batch each; at least one (empty, with the columns) when there are none."""
        empty = True
        for batch in self.batches:
            empty = False
            yield pl.from_arrow(batch)
        if empty:
            yield pl.from_arrow(self.schema.empty_table())

    def head(self, n: int) -> pl.DataFrame:
        """The first n rows and, if there are more, one row more (the rest is never fetched)."""
        batches, rows = [], 0
        for batch in self.batches:
            batches.append(batch)
            rows += batch.num_rows
            if rows > n:
                break
        return pl.from_arrow(pa.Table.from_batches(batches, self.schema).slice(0, n + 1))


@contextmanager
def sql_result(db: str, query: str, rows: int | None = None) -> Iterator[SqlResult]:
    """Run one SQL statement on the store (read-only); its rows are fetched while the context is open, `rows` at a
    time (default: BATCH_ROWS, fewer for a wide result)."""
    with Store(db, read_only=True) as store:
        rel = store.statement(query)
        if rel is None:
            yield SqlResult(pa.schema([]), iter(()))
            return
        casts = [_needs_text(t) for t in rel.types]
        if any(casts):
            rel = rel.project(", ".join(f"{'CAST(#%d AS VARCHAR)' if cast else '#%d'} AS {_quoted(c)}" % i  # by position: names repeat
                                        for i, (c, cast) in enumerate(zip(rel.columns, casts), 1)))
        rows = rows or max(1, min(BATCH_ROWS, BATCH_CELLS // max(1, len(casts))))
        reader = _fetching(lambda: rel.to_arrow_reader(rows))
        names = _unique(reader.schema.names)
        schema = pa.schema([f.with_name(name) for f, name in zip(reader.schema, names)])
        yield SqlResult(schema, (batch.rename_columns(names) for batch in _read(reader)))


def write_result(result: SqlResult, fmt: str, out: str | None, emit: Callable[[str], object]) -> None:
    """Write a result as csv, json or parquet to the file `out` (whole or not at all: a failed query leaves no half
    file), or as csv or json text through emit, a batch at a time."""
    if fmt == "parquet" and not out:
        raise UsageError("--format parquet needs --out FILE")
    if not out:
        _write_text(result, fmt, emit)
        return
    # a new or regular file (through its links) is written beside it and renamed over it, its mode kept; a device or
    # pipe (/dev/stdout, a FIFO) is written to
    real = os.path.realpath(out)
    direct = (os.path.exists(out) and not os.path.isfile(out)) or out.startswith(("/dev/", "/proc/"))  # (/dev/stdout sent to a file)
    target = out if direct else f"{real}.partial-{os.getpid()}"
    try:
        try:
            with open(target, "wb") as f:
                if fmt == "parquet":
                    _write_parquet(result, f)  # (a stream: pyarrow's own file would seek, which a pipe cannot)
                else:
                    text = io.TextIOWrapper(f, encoding="utf-8", newline="")
                    _write_text(result, fmt, text.write)
                    text.flush()
                    text.detach()
            if not direct:
                if os.path.exists(real):
                    shutil.copymode(real, target)
                os.replace(target, real)
        finally:
            if not direct and os.path.lexists(target):
                os.unlink(target)
    except OSError as exc:
        raise ProvenanceError(f"{out}: cannot write the result: {exc.strerror or exc}") from None


def _write_text(result: SqlResult, fmt: str, emit: Callable[[str], object]) -> None:
    if fmt == "csv":
        for i, df in enumerate(result.frames()):
            emit(as_text_columns(df, nested=True).write_csv(include_header=i == 0))
        return
    opened = False  # JSON: one array of objects, written an object list at a time
    for df in result.frames():
        if len(df):
            buf = io.StringIO()
            as_text_columns(df, nested=False).write_json(buf)
            emit(("," if opened else "[") + buf.getvalue().strip()[1:-1])
            opened = True
    emit("]\n" if opened else "[]\n")


def _write_parquet(result: SqlResult, out: BinaryIO) -> None:
    import pyarrow.parquet as pq

    with pq.ParquetWriter(out, result.schema) as writer:
        for batch in result.batches:
            writer.write_batch(batch)


def _read(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The reader's batches; DuckDB's errors while it runs the query (which reach Arrow's reader as OSErrors) in one line."""
    it = iter(reader)
    while True:
        batch = _fetching(lambda: next(it, None))
        if batch is None:
            return
        yield batch


def _fetching(fetch: Callable[[], Any]) -> Any:
    try:
        return fetch()
    except (duckdb.Error, OSError) as exc:
        if interrupt_inside(exc):
            raise KeyboardInterrupt from None
        raise sql_error(exc) from None


def _needs_text(t: Any) -> bool:
    """Whether a column's type is, or holds, one of _AS_TEXT (by its type tree: a struct field named "bit" is not)."""
    if t.id in _AS_TEXT:
        return True
    if t.id not in ("struct", "map", "list", "array"):
        return False
    return any(_needs_text(child) for _, child in t.children if not isinstance(child, int))  # (an array's size is an int)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unique(names: list[str]) -> list[str]:
    """Column names made unique as DuckDB makes a join's (a, a -> a, a_1): polars and JSON need them so."""
    seen, out = set(names), []
    for i, name in enumerate(names):
        if name in names[:i]:
            k = 1
            while f"{name}_{k}" in seen:
                k += 1
            name = f"{name}_{k}"
            seen.add(name)
        out.append(name)
    return out


def as_text_columns(df: pl.DataFrame, nested: bool) -> pl.DataFrame:
    """df with its bytes as hex at any depth (signatures.minhash, list(minhash): JSON and CSV have no bytes)
    and, when nested, its list and struct columns as JSON text (CSV has no nesting)."""
    import json

    columns = []
    for name, dtype in df.schema.items():
        if dtype == pl.Binary:
            columns.append(pl.col(name).bin.encode("hex"))
        elif dtype.is_nested():
            has_bytes = _holds_bytes(dtype)
            if not (nested or has_bytes):
                continue
            values = [_hexed(v) for v in df[name].to_list()] if has_bytes else df[name].to_list()
            columns.append(pl.Series(name, [None if v is None else json.dumps(v, default=str) for v in values], pl.String)
                           if nested else pl.Series(name, values))
    return df.with_columns(columns) if columns else df


def _holds_bytes(dtype: pl.DataType) -> bool:
    if dtype == pl.Binary:
        return True
    if isinstance(dtype, (pl.List, pl.Array)):
        return _holds_bytes(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return any(_holds_bytes(f.dtype) for f in dtype.fields)
    return False


def _hexed(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_hexed(v) for v in value]
    if isinstance(value, dict):
        return {k: _hexed(v) for k, v in value.items()}
    return value


def store_info(db: str) -> dict[str, Any]:
    """Return headline counts and the per-year summary of a store."""
    with Store(db, read_only=True) as store:
        files, documents, tokens, errors = store.query("store_info").fetchone()
        years = store.frame("SELECT * FROM yearly_summary")
        texts_dir = store.texts_dir
    return {"path": db, "files": files, "documents": documents, "tokens": tokens, "errors": errors,
            "store_bytes": os.path.getsize(db) if os.path.isfile(db) else 0,
            "texts_dir": str(texts_dir), "texts_bytes": textfiles.size_bytes(texts_dir), "years": years}
