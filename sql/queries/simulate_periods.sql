-- Periods with token counts, to name the valid choices when a --baseline has none.
-- Params: $tokenizer VARCHAR.
-- Returns: period VARCHAR (years, then crawl ids), sorted.
SELECT DISTINCT period FROM (
    SELECT CAST(year AS VARCHAR) AS period FROM token_blocks WHERE tokenizer = $tokenizer AND year IS NOT NULL
    UNION ALL
    SELECT crawl FROM token_blocks WHERE tokenizer = $tokenizer AND crawl IS NOT NULL
)
ORDER BY period
