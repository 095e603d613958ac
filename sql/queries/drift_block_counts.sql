-- Token counts per resampling unit (period, language, block), read straight from token_blocks rows
-- (already CSR rows: ascending token ids with their counts). A unit can span several rows (a block
-- with documents of several years or languages when those are not part of the grouping); the client
-- sums them. Shared by the drift and tails estimators.
-- Params: $by ('year' | 'crawl'), $by_lang (BOOLEAN: keep lang, else NULL), $lang (VARCHAR or NULL:
--         restrict to one language), $tokenizer (VARCHAR, e.g. 'word').
-- Columns: period VARCHAR, lang VARCHAR, block BIGINT, token_ids UBIGINT[], counts BIGINT[].
SELECT period, lang, block, token_ids, counts
FROM (
    SELECT CASE WHEN $by = 'crawl' THEN crawl ELSE CAST(year AS VARCHAR) END AS period,
           CASE WHEN $by_lang THEN lang END AS lang,
           block, token_ids, counts, year AS row_year, lang AS row_lang
    FROM token_blocks
    WHERE tokenizer = $tokenizer
      AND ($lang IS NULL OR lang = $lang)
      AND n_tokens > 0
)
WHERE period IS NOT NULL
ORDER BY period, lang NULLS FIRST, block, row_year NULLS FIRST, row_lang NULLS FIRST;  -- results must not depend on scan order
