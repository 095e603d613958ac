"""User queries over the store: run SQL, format results, summarize a store."""
from __future__ import annotations

import io
import os
from typing import Any

import polars as pl

from provenance import textfiles
from provenance.errors import UsageError
from provenance.store import Store, to_polars


def run_sql(db: str, query: str) -> pl.DataFrame:
    """Run one SQL statement on the store and return its rows as a polars DataFrame."""
    with Store(db, read_only=True) as store:
        cur = store.sql(query)
        if cur.description is None:
            return pl.DataFrame()
        return to_polars(cur)


def write_result(df: pl.DataFrame, fmt: str, out: str | None) -> str | None:
    """Render df as csv/json/parquet to `out`, or return the text when out is None."""
    if fmt == "parquet":
        if not out:
            raise UsageError("--format parquet needs --out FILE")
        df.write_parquet(out)
        return None
    if fmt == "csv":
        text = df.write_csv()
    else:
        buf = io.StringIO()
        df.write_json(buf)
        text = buf.getvalue() + "\n"
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        return None
    return text


def store_info(db: str) -> dict[str, Any]:
    """Return headline counts and the per-year summary of a store."""
    with Store(db, read_only=True) as store:
        files, documents, tokens, errors = store.query("store_info").fetchone()
        years = store.frame("SELECT * FROM yearly_summary")
        texts_dir = store.texts_dir
    return {"path": db, "files": files, "documents": documents, "tokens": tokens, "errors": errors,
            "store_bytes": os.path.getsize(db) if os.path.isfile(db) else 0,
            "texts_dir": str(texts_dir), "texts_bytes": textfiles.size_bytes(texts_dir), "years": years}
