-- The languages a tokenizer's counts hold (ISO 639-1 codes, not 'unknown'), most tokens first, for an error
-- naming the ones --lang can take.
-- Params: $tokenizer (VARCHAR).
-- Returns: lang VARCHAR, n HUGEINT; most tokens first.
SELECT lang, sum(n_tokens) AS n
FROM token_blocks
WHERE tokenizer = $tokenizer AND n_tokens > 0 AND lang IS NOT NULL AND lang <> 'unknown'
GROUP BY lang
ORDER BY n DESC, lang
