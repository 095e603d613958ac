-- The store's document languages, most documents first (for an error naming the ones --lang can take).
-- Params: none.
-- Returns: lang VARCHAR, n BIGINT; most documents first, at most 12.
SELECT lang, count(*) AS n
FROM documents
WHERE lang IS NOT NULL
GROUP BY lang
ORDER BY n DESC, lang
LIMIT 12
