-- Token counts of the resampling units' token_blocks rows (sql/views/drift_units.sql), tagged with
-- the row's rank and in rank order; drift_block_headers.sql names the ranks. Shared by the drift and
-- tails estimators.
-- Params: $by ('year' | 'crawl'), $by_lang (BOOLEAN), $lang (VARCHAR or NULL), $tokenizer (VARCHAR).
-- Columns: rank BIGINT, token_id UBIGINT, count BIGINT.
SELECT u.rank, c.token_id, c.count
FROM block_tokens AS c JOIN drift_units($by, $by_lang, $lang, $tokenizer) AS u USING (block_id)
ORDER BY u.rank  -- token order within a rank is irrelevant to the estimators
