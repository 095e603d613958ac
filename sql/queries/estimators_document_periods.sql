-- The periods (and languages, when grouped by language) that hold documents, to name those an estimator
-- found no token counts in.
-- Params: $by VARCHAR ('year' or 'crawl'), $by_lang BOOLEAN, $lang VARCHAR or NULL (all languages).
-- Returns: period VARCHAR, lang VARCHAR (NULL unless $by_lang); by period, lang.
SELECT DISTINCT CASE WHEN $by = 'year' THEN CAST(year AS VARCHAR) ELSE crawl END AS period,
       CASE WHEN $by_lang THEN lang END AS lang
FROM documents
WHERE ($lang IS NULL OR lang = $lang)
  AND (CASE WHEN $by = 'year' THEN CAST(year AS VARCHAR) ELSE crawl END) IS NOT NULL
ORDER BY period, lang
