-- Token counts move from list columns (token_blocks.token_ids / counts, one row per block) to narrow
-- rows: token_blocks keeps one header row per block, now keyed by block_id, and block_tokens holds
-- one (block_id, token_id, count) row per distinct token of the block.
-- Why: DuckDB keeps a table's rows in row groups of 122,880 rows and rewrites a row group that
-- changed at every commit and checkpoint. A block row carries ~40,000 list entries, so the list
-- table never filled its first row group and each file's commit rewrote all earlier lists: commit
-- time grew with the store (0.04 -> 0.30 s after 8 files of 2,500 documents, measured; without bound
-- on a real crawl). Narrow rows fill row groups (~1,500 documents each), so a commit costs the
-- same at any store size (0.02 s per 200,000 rows, measured) and full row groups are written once.
-- block_id = source_id << 24 | the block's number within its file: unique, and a source's rows are
-- found (and deleted) from the id alone.
-- The conversion of list rows is a Python data step (provenance/tokencounts.py), because a store
-- attached to Parquet shards holds token_blocks as a view.
CREATE TABLE block_tokens (
    block_id BIGINT,
    token_id UBIGINT,         -- xxh3_64 of the token's UTF-8 bytes; the string is in `tokens`
    count    BIGINT
);

-- The new token_blocks: renamed into place by the data step once the list rows are converted.
CREATE TABLE token_blocks_0007 (
    block_id  BIGINT,         -- source_id << 24 | the block's number within its file
    source_id BIGINT,
    crawl     VARCHAR,
    year      SMALLINT,
    lang      VARCHAR,
    block     BIGINT,
    tokenizer VARCHAR,        -- 'word' (default) or 'hf:<name>' for a Hugging Face tokenizer
    n_tokens  BIGINT          -- sum of the block's block_tokens counts
);
