-- The token dictionary is kept in two tables, read together through the view `tokens`:
--   token_dict      one row per (tokenizer, token_id), merged;
--   tokens_pending  files' own distinct tokens, appended unchecked (ids repeat across files) once the
--                   dictionary is large, and merged into token_dict in batches.
-- Why: a file's commit added its new tokens with an anti-join against the whole dictionary, a scan
-- that grows with the store (0.38 s per file of 50,000 tokens at 20 million entries, linear in their
-- number, measured): on a whole crawl the writer would spend most of its time there. A merge scans
-- the dictionary once per batch of files instead, and batches grow with the dictionary (when to
-- do which: provenance/ingest/dictionary.py).
-- The tables are set up in a Python data step (provenance/store.py, _upgrade_token_dictionary):
-- `tokens` is renamed to token_dict (no copy) and the view created, unless the store is attached
-- to Parquet shards and `tokens` is a view over them (then it stays, and these tables stay empty).
CREATE TABLE token_dict_0010 (
    tokenizer VARCHAR,
    token_id  UBIGINT USING COMPRESSION uncompressed,  -- xxh3_64 of the token's UTF-8 bytes
    token     VARCHAR
);

CREATE TABLE tokens_pending (
    tokenizer VARCHAR,
    token_id  UBIGINT USING COMPRESSION uncompressed,
    token     VARCHAR
);
