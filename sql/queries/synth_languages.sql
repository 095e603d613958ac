-- The store's document languages (ISO 639-1 codes, not 'unknown'), most documents first, for an error naming
-- the ones --lang can take.
-- Params: none.
-- Returns: lang VARCHAR, n BIGINT; most documents first.
SELECT lang, count(*) AS n
FROM documents
WHERE lang IS NOT NULL AND lang <> 'unknown'
GROUP BY lang
ORDER BY n DESC, lang
