-- The years with token counts of a tokenizer (a report's default baseline is the earliest of them).
-- Params: $tokenizer VARCHAR.
-- Returns: period VARCHAR; by year.
SELECT DISTINCT CAST(year AS VARCHAR) AS period, year
FROM token_blocks
WHERE tokenizer = $tokenizer AND year IS NOT NULL
ORDER BY year;
