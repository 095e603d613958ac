-- The periods that hold documents (of a language), to name those an estimator found no token counts in.
-- Params: $by VARCHAR ('year' or 'crawl'), $lang VARCHAR or NULL (all languages).
-- Returns: period VARCHAR; by period.
SELECT DISTINCT CASE WHEN $by = 'year' THEN CAST(year AS VARCHAR) ELSE crawl END AS period
FROM documents
WHERE ($lang IS NULL OR lang = $lang)
  AND (CASE WHEN $by = 'year' THEN CAST(year AS VARCHAR) ELSE crawl END) IS NOT NULL
ORDER BY period
