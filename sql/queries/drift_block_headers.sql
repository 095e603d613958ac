-- The resampling units' token_blocks rows (sql/views/drift_units.sql), one per rank, in rank order.
-- Params: $by ('year' | 'crawl'), $by_lang (BOOLEAN), $lang (VARCHAR or NULL), $tokenizer (VARCHAR).
-- Columns: period VARCHAR, lang VARCHAR, block BIGINT.
SELECT period, lang, block FROM drift_units($by, $by_lang, $lang, $tokenizer) ORDER BY rank
