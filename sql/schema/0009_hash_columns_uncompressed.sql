-- Columns of 64-bit hashes and MinHash signatures are random bits: no compression method shrinks
-- them, yet DuckDB analysed every candidate method at each commit and checkpoint. Declaring them
-- uncompressed keeps the same file size and cuts the writer's work on them (20,000 WET documents:
-- signatures 0.25 -> 0.08 CPU-s, block_tokens 0.50 -> 0.42, measured).
-- The new tables replace the old ones in a Python data step (provenance/store.py,
-- _upgrade_hash_columns): rows are copied over, unless the store is attached to Parquet shards and
-- holds these as views (then the new tables are dropped).
CREATE TABLE signatures_0009 (
    doc_id  BIGINT,
    minhash BLOB USING COMPRESSION uncompressed   -- 128 little-endian uint32 MinHash values
);

CREATE TABLE band_keys_0009 (
    doc_id BIGINT,
    band   UTINYINT,
    key    UBIGINT USING COMPRESSION uncompressed
);

CREATE TABLE block_tokens_0009 (
    block_id BIGINT,          -- source_id << 24 | the block's number within its file
    token_id UBIGINT USING COMPRESSION uncompressed,  -- xxh3_64 of the token's UTF-8 bytes
    count    BIGINT
);

CREATE TABLE tokens_0009 (
    tokenizer VARCHAR,
    token_id  UBIGINT USING COMPRESSION uncompressed,
    token     VARCHAR
);
