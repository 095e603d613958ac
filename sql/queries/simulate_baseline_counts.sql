-- The simulator's true distribution P0: one period's token counts, summed over sources and blocks.
-- Params: $period VARCHAR (a year such as '2019', or a crawl id), $lang VARCHAR or NULL (all languages),
--         $tokenizer VARCHAR.
-- Returns: token VARCHAR, count BIGINT; most frequent first, ties by token (a deterministic order).
WITH c AS (
    SELECT c.token_id, sum(c.count)::BIGINT AS count
    FROM block_tokens AS c
    SEMI JOIN (SELECT block_id FROM token_blocks
               WHERE (crawl = $period OR CAST(year AS VARCHAR) = $period)
                 AND tokenizer = $tokenizer
                 AND ($lang IS NULL OR lang = $lang)) AS b USING (block_id)
    GROUP BY c.token_id
    HAVING sum(c.count) > 0
)
SELECT t.token, c.count
FROM c JOIN tokens AS t ON t.tokenizer = $tokenizer AND t.token_id = c.token_id
ORDER BY c.count DESC, t.token
