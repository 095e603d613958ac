-- Token counts per resampling unit (period, language, block), one row per unit with list columns,
-- so the client gets a CSR layout (unit -> tokens, counts) without sorting token rows.
-- Shared by the drift and tails estimators.
-- Params: $by ('year' | 'crawl'), $by_lang (BOOLEAN: keep lang, else NULL), $lang (VARCHAR or NULL:
--         restrict to one language), $tokenizer (VARCHAR, e.g. 'word').
-- Columns: period VARCHAR, lang VARCHAR, block BIGINT, tokens VARCHAR[], counts BIGINT[].
WITH t AS (
    SELECT CASE WHEN $by = 'crawl' THEN crawl ELSE CAST(year AS VARCHAR) END AS period,
           CASE WHEN $by_lang THEN lang END AS lang,
           block, token, sum(count)::BIGINT AS count
    FROM token_counts
    WHERE tokenizer = $tokenizer
      AND ($lang IS NULL OR lang = $lang)
      AND count > 0
    GROUP BY ALL
)
SELECT period, lang, block, list(token ORDER BY token) AS tokens, list(count ORDER BY token) AS counts  -- ordered: results must not depend on scan order
FROM t
WHERE period IS NOT NULL
GROUP BY period, lang, block
ORDER BY period, lang NULLS FIRST, block;
