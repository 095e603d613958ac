-- The token_blocks rows the drift and tails estimators resample, numbered in unit order: a unit is
-- (period, language, block), and a unit can span several rows (a block with documents of several
-- years or languages when those are not part of the grouping). Results must not depend on scan
-- order, hence the full ORDER BY.
-- Args: grouping ('year' | 'crawl'), by_lang (BOOLEAN: keep lang, else NULL), lang_filter (VARCHAR or
--       NULL: restrict to one language), tok (VARCHAR, e.g. 'word').
-- Columns: rank BIGINT (0-based), block_id BIGINT, period VARCHAR, lang VARCHAR, block BIGINT.
CREATE OR REPLACE MACRO drift_units(grouping, by_lang, lang_filter, tok) AS TABLE
SELECT row_number() OVER (ORDER BY period, lang NULLS FIRST, block, row_year NULLS FIRST, row_lang NULLS FIRST, block_id) - 1 AS rank,
       block_id, period, lang, block
FROM (
    SELECT block_id, block, year AS row_year, lang AS row_lang,
           CASE WHEN grouping = 'crawl' THEN crawl ELSE CAST(year AS VARCHAR) END AS period,
           CASE WHEN by_lang THEN lang END AS lang
    FROM token_blocks
    WHERE tokenizer = tok
      AND (lang_filter IS NULL OR lang = lang_filter)
      AND n_tokens > 0
)
WHERE period IS NOT NULL;
