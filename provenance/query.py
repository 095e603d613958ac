"""User queries over the store: run SQL, format results, summarize a store."""
from __future__ import annotations

import io
import os
from typing import Any

import polars as pl

from provenance import textfiles
from provenance.errors import ProvenanceError, UsageError
from provenance.store import Store, to_polars


def run_sql(db: str, query: str) -> pl.DataFrame:
    """Run one SQL statement on the store and return its rows as a polars DataFrame."""
    with Store(db, read_only=True) as store:
        cur = store.sql(query)
        if cur is None:  # DuckDB's answer to a text without a statement
            raise UsageError("no SQL statement to run (the query is empty, or only comments)")
        if cur.description is None:
            return pl.DataFrame()
        return to_polars(cur)


def write_result(df: pl.DataFrame, fmt: str, out: str | None) -> str | None:
    """Render df as csv/json/parquet to `out`, or return the text when out is None."""
    try:
        if fmt == "parquet":
            if not out:
                raise UsageError("--format parquet needs --out FILE")
            df.write_parquet(out)
            return None
        if fmt == "csv":
            text = as_text_columns(df, nested=True).write_csv()
        else:
            buf = io.StringIO()
            as_text_columns(df, nested=False).write_json(buf)
            text = buf.getvalue() + "\n"
        if out:
            with open(out, "w", encoding="utf-8") as f:
                f.write(text)
            return None
        return text
    except OSError as exc:
        raise ProvenanceError(f"{out}: cannot write the result: {exc.strerror or exc}") from None


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
