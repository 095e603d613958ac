-- Documents for the near-duplicate estimator: period, language, exact-text hash, resampling block.
-- Params: $by ('year' | 'crawl'), $by_lang (BOOLEAN: keep lang, else NULL), $lang (VARCHAR or NULL).
-- Columns: doc_id BIGINT, period VARCHAR, lang VARCHAR, text_hash UBIGINT, block BIGINT; by doc_id.
SELECT doc_id,
       CASE WHEN $by = 'crawl' THEN crawl ELSE CAST(year AS VARCHAR) END AS period,
       CASE WHEN $by_lang THEN lang END AS lang,
       text_hash, block
FROM documents
WHERE ($lang IS NULL OR lang = $lang)
  AND (CASE WHEN $by = 'crawl' THEN crawl ELSE CAST(year AS VARCHAR) END) IS NOT NULL
ORDER BY doc_id;
