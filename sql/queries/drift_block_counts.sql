-- Token counts of the resampling units' token_blocks rows (sql/views/drift_units.sql), tagged with
-- the row's rank; drift_block_headers.sql names the ranks. Unordered: the client sorts by rank (a
-- stable counting sort is cheaper than a sort here), and orders tokens by id itself, so no result
-- depends on scan order. Shared by the drift and tails estimators.
-- Params: $by ('year' | 'crawl'), $by_lang (BOOLEAN), $lang (VARCHAR or NULL), $tokenizer (VARCHAR).
-- Columns: rank INTEGER, token_id UBIGINT, count DOUBLE.
SELECT u.rank::INTEGER AS rank, c.token_id, c.count::DOUBLE AS count
FROM block_tokens AS c JOIN drift_units($by, $by_lang, $lang, $tokenizer) AS u USING (block_id)
