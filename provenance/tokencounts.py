"""Token counts in the store: rows of (block, token, count) to token_blocks + block_tokens + tokens, and upgrades.

Ingest writes token_blocks, block_tokens and tokens directly (ingest/features.py); this module is the
library path for anyone holding plain count rows (tests, benchmarks, imports from other tools) and the
upgrades of stores written by earlier layouts. Token ids are xxh3_64 of the token's UTF-8 bytes, the
same hash the ingest kernel computes, so ids agree however the counts arrived.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import xxhash

from provenance.arrow_views import registered
from provenance.sqlfiles import table_kind

if TYPE_CHECKING:  # imported where used: opening a store (its migrations) and ingest workers must not load them
    import duckdb
    import polars as pl
    import pyarrow as pa

BLOCK_KEYS = ["source_id", "crawl", "year", "lang", "block", "tokenizer"]
BLOCK_ID_BITS = 24  # block_id = source_id << 24 | the block's number within its source (sql/schema/0007)


def token_id(token: str) -> int:
    """The 64-bit id of a token: xxh3_64 of its UTF-8 bytes."""
    return xxhash.xxh3_64_intdigest(token.encode("utf-8", "surrogatepass"))


def to_blocks(rows: pl.DataFrame, first_block: dict[int, int] | None = None) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Turn count rows (BLOCK_KEYS + token + count; missing keys become NULL) into (token_blocks, block_tokens, tokens).

    Block numbers within a source start at first_block[source_id] (default 0); a NULL source is 0.
    """
    import polars as pl

    rows = rows.with_columns(*(pl.lit(None).alias(k) for k in BLOCK_KEYS if k not in rows.columns))
    rows = rows.with_columns(pl.col("year").cast(pl.Int16), pl.col("block").cast(pl.Int64), pl.col("source_id").cast(pl.Int64),
                             pl.col("crawl").cast(pl.String), pl.col("lang").cast(pl.String), pl.col("tokenizer").cast(pl.String),
                             pl.col("count").cast(pl.Int64))
    distinct = rows.select("tokenizer", "token").unique(maintain_order=True)
    ids = pl.Series("token_id", [token_id(t) for t in distinct["token"].to_list()], dtype=pl.UInt64)
    distinct = distinct.with_columns(ids)
    counted = (
        rows.filter(pl.col("count") > 0)
        .join(distinct, on=["tokenizer", "token"], how="left", nulls_equal=True)
        .group_by([*BLOCK_KEYS, "token_id"]).agg(pl.col("count").sum())
        .sort([*BLOCK_KEYS, "token_id"], nulls_last=False)
    )
    starts = pl.DataFrame({"source_id": list((first_block or {}).keys()), "first": list((first_block or {}).values())},
                          schema={"source_id": pl.Int64, "first": pl.Int64})
    headers = (
        counted.group_by(BLOCK_KEYS, maintain_order=True).agg(pl.col("count").sum().alias("n_tokens"))
        .with_columns(pl.col("source_id").fill_null(0).alias("_source"))
        .join(starts, left_on="_source", right_on="source_id", how="left", suffix="_s")
        .with_columns((pl.col("_source") * (1 << BLOCK_ID_BITS)  # source_id << 24 | number
                       + pl.col("first").fill_null(0) + pl.int_range(pl.len()).over("_source")).alias("block_id"))
    )
    block_tokens = (
        counted.join(headers.select(*BLOCK_KEYS, "block_id"), on=BLOCK_KEYS, how="left", nulls_equal=True, maintain_order="left")
        .select("block_id", "token_id", "count")
    )
    return (headers.select("block_id", *BLOCK_KEYS, "n_tokens").to_arrow(), block_tokens.to_arrow(),
            distinct.select("tokenizer", "token_id", "token").to_arrow())


def insert_token_counts(con: duckdb.DuckDBPyConnection, rows: Any) -> None:
    """Insert count rows (a polars or Arrow table) into token_blocks, block_tokens and tokens."""
    import polars as pl

    frame = rows if isinstance(rows, pl.DataFrame) else pl.from_arrow(rows)
    first = dict(con.execute(f"SELECT block_id >> {BLOCK_ID_BITS}, max(block_id & {(1 << BLOCK_ID_BITS) - 1}) + 1 "
                             "FROM token_blocks GROUP BY ALL").fetchall())
    headers, block_tokens, tokens = to_blocks(frame, first)
    with registered(con, _new_blocks=headers, _new_block_tokens=block_tokens, _new_tokens=tokens):
        con.execute("INSERT INTO token_blocks BY NAME SELECT * FROM _new_blocks")
        con.execute("INSERT INTO block_tokens BY NAME SELECT * FROM _new_block_tokens")
        con.execute("INSERT INTO token_dict BY NAME SELECT n.* FROM _new_tokens n "  # `tokens` is the view over it (schema 0010)
                    "ANTI JOIN tokens t ON t.tokenizer = n.tokenizer AND t.token_id = n.token_id")


def upgrade_token_counts_table(con: duckdb.DuckDBPyConnection) -> None:
    """0006: convert a store's token_counts table into token_blocks list rows + tokens, then drop it."""
    kind = table_kind(con, "token_counts")
    if kind is None:
        return
    if kind == "VIEW":  # an attached shard directory of the old layout: re-run its ingest
        con.execute("DROP VIEW token_counts")
        return
    names = con.execute("SELECT DISTINCT tokenizer, token FROM token_counts").fetchall()
    if not names:
        con.execute("DROP TABLE token_counts")
        return
    import pyarrow as pa

    ids = pa.table({"tokenizer": [n[0] for n in names], "token": [n[1] for n in names],
                    "token_id": pa.array([token_id(n[1]) for n in names], pa.uint64())})
    with registered(con, _token_ids=ids):
        con.execute("""
            INSERT INTO token_blocks BY NAME
            SELECT source_id, crawl, year, lang, block, tokenizer, sum(count)::BIGINT AS n_tokens,
                   list(token_id ORDER BY token_id) AS token_ids, list(count ORDER BY token_id) AS counts
            FROM (SELECT c.source_id, c.crawl, c.year, c.lang, c.block, c.tokenizer, i.token_id, sum(c.count)::BIGINT AS count
                  FROM token_counts c JOIN _token_ids i ON i.tokenizer IS NOT DISTINCT FROM c.tokenizer AND i.token = c.token
                  WHERE c.count > 0 GROUP BY ALL)
            GROUP BY ALL""")
        con.execute("INSERT INTO tokens SELECT tokenizer, token_id, any_value(token) FROM _token_ids GROUP BY ALL")
    con.execute("DROP TABLE token_counts")


def upgrade_block_lists(con: duckdb.DuckDBPyConnection) -> None:
    """0007: split token_blocks list rows into header rows (with block_id) and block_tokens rows."""
    if table_kind(con, "token_counts") == "VIEW":
        con.execute("DROP VIEW token_counts")  # it reads the lists; the views are recreated after the migrations
    if table_kind(con, "token_blocks") == "VIEW":  # attached shards of the list layout: re-run their ingest
        con.execute("DROP VIEW token_blocks")
    else:
        con.execute(f"""
            CREATE TEMP TABLE _old_blocks AS
            SELECT (coalesce(source_id, 0) << {BLOCK_ID_BITS})
                   | (row_number() OVER (PARTITION BY source_id ORDER BY block, crawl, year, lang, tokenizer) - 1) AS block_id, *
            FROM token_blocks""")
        con.execute("INSERT INTO block_tokens SELECT block_id, unnest(token_ids), unnest(counts) FROM _old_blocks")
        con.execute("INSERT INTO token_blocks_0007 BY NAME SELECT * EXCLUDE (token_ids, counts) FROM _old_blocks")
        con.execute("DROP TABLE _old_blocks")
        con.execute("DROP TABLE token_blocks")
    con.execute("ALTER TABLE token_blocks_0007 RENAME TO token_blocks")


__all__ = ["token_id", "to_blocks", "insert_token_counts", "upgrade_token_counts_table", "upgrade_block_lists", "tokenizer_name"]


def tokenizer_name(store: Any, given: str) -> str:
    """The name of the store's tokenizer that `given` means: a name it holds ('word', 'hf:gpt2@1a2b3c4d'), the part of
    one before its '@' ('hf:gpt2'), or the path given to `ingest --tokenizer`; else an EstimatorError naming those it holds."""
    from provenance.errors import EstimatorError, InputError
    from provenance.ingest.hftokens import resolve

    held = [row[0] for row in store.query("tokens_tokenizers").fetchall()]
    try:
        name = resolve(given, held)
    except InputError as exc:
        raise EstimatorError(f"--tokenizer {exc}") from None
    if name is None:
        holds = ", ".join(held) if held else "none; run 'provenance ingest' first"
        raise EstimatorError(f"no token counts with tokenizer {given!r}; the store holds: {holds}")
    return name
