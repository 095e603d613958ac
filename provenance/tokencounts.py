"""Token counts in the store: rows of (block, token, count) to token_blocks lists and the tokens dictionary.

Ingest writes token_blocks and tokens directly (ingest/features.py); this module is the library path
for anyone holding plain count rows (tests, benchmarks, imports from other tools) and the upgrade of
stores written before token_blocks existed. Token ids are xxh3_64 of the token's UTF-8 bytes, the same
hash the ingest kernel computes, so ids agree however the counts arrived.
"""
from __future__ import annotations

from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import xxhash

BLOCK_KEYS = ["source_id", "crawl", "year", "lang", "block", "tokenizer"]


def token_id(token: str) -> int:
    """The 64-bit id of a token: xxh3_64 of its UTF-8 bytes."""
    return xxhash.xxh3_64_intdigest(token.encode("utf-8", "surrogatepass"))


def to_blocks(rows: pl.DataFrame) -> tuple[pa.Table, pa.Table]:
    """Turn count rows (BLOCK_KEYS + token + count; missing keys become NULL) into (token_blocks, tokens) rows."""
    rows = rows.with_columns(*(pl.lit(None).alias(k) for k in BLOCK_KEYS if k not in rows.columns))
    rows = rows.with_columns(pl.col("year").cast(pl.Int16), pl.col("block").cast(pl.Int64), pl.col("source_id").cast(pl.Int64),
                             pl.col("crawl").cast(pl.String), pl.col("lang").cast(pl.String), pl.col("tokenizer").cast(pl.String),
                             pl.col("count").cast(pl.Int64))
    distinct = rows.select("tokenizer", "token").unique(maintain_order=True)
    ids = pl.Series("token_id", [token_id(t) for t in distinct["token"].to_list()], dtype=pl.UInt64)
    distinct = distinct.with_columns(ids)
    blocks = (
        rows.filter(pl.col("count") > 0)
        .join(distinct, on=["tokenizer", "token"], how="left", nulls_equal=True)
        .group_by([*BLOCK_KEYS, "token_id"]).agg(pl.col("count").sum())
        .sort([*BLOCK_KEYS, "token_id"], nulls_last=False)
        .group_by(BLOCK_KEYS, maintain_order=True)
        .agg(pl.col("count").sum().alias("n_tokens"), pl.col("token_id").alias("token_ids"), pl.col("count").alias("counts"))
    )
    return blocks.to_arrow(), distinct.select("tokenizer", "token_id", "token").to_arrow()


def insert_token_counts(con: duckdb.DuckDBPyConnection, rows: Any) -> None:
    """Insert count rows (a polars or Arrow table) into token_blocks and tokens."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.from_arrow(rows)
    blocks, tokens = to_blocks(frame)
    con.register("_new_blocks", blocks)
    con.register("_new_tokens", tokens)
    try:
        con.execute("INSERT INTO token_blocks BY NAME SELECT * FROM _new_blocks")
        con.execute("INSERT INTO tokens BY NAME SELECT n.* FROM _new_tokens n "
                    "ANTI JOIN tokens t ON t.tokenizer = n.tokenizer AND t.token_id = n.token_id")
    finally:
        con.unregister("_new_blocks")
        con.unregister("_new_tokens")


def upgrade_token_counts_table(con: duckdb.DuckDBPyConnection) -> None:
    """Convert a store's pre-0006 token_counts table into token_blocks + tokens, then drop it."""
    found = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'token_counts' "
                        "AND table_schema = 'main'").fetchall()  # fetchall: leaves no unfinished result
    if not found:
        return
    kind = found[0]
    if kind[0] == "VIEW":  # an attached shard directory of the old layout: re-run its ingest
        con.execute("DROP VIEW token_counts")
        return
    rows = con.sql("SELECT * FROM token_counts").to_arrow_table()
    if rows.num_rows:
        insert_token_counts(con, rows)
    con.execute("DROP TABLE token_counts")


__all__ = ["token_id", "to_blocks", "insert_token_counts", "upgrade_token_counts_table"]
