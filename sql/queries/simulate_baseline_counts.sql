-- The simulator's true distribution P0: one period's token counts, summed over sources and blocks.
-- Params: $period VARCHAR (a year such as '2019', or a crawl id), $lang VARCHAR or NULL (all languages),
--         $tokenizer VARCHAR.
-- Returns: token VARCHAR, count BIGINT; most frequent first, ties by token (a deterministic order).
SELECT token, sum(count)::BIGINT AS count
FROM token_counts
WHERE (crawl = $period OR CAST(year AS VARCHAR) = $period)
  AND tokenizer = $tokenizer
  AND ($lang IS NULL OR lang = $lang)
GROUP BY token
HAVING sum(count) > 0
ORDER BY count DESC, token
