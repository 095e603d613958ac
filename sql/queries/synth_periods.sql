-- Periods of the store with how many documents and stored texts each has (texts are absent when
-- the store was ingested with --no-text).
-- Params: $by VARCHAR ('year' or 'crawl'), $lang VARCHAR or NULL (all languages).
-- Returns: period VARCHAR, n_docs BIGINT, n_texts BIGINT; by period.
SELECT d.period, count(*) AS n_docs, count(t.doc_id) AS n_texts
FROM (
    SELECT doc_id, CASE WHEN $by = 'year' THEN CAST(year AS VARCHAR) ELSE crawl END AS period
    FROM documents
    WHERE $lang IS NULL OR lang = $lang
) AS d
LEFT JOIN texts AS t ON t.doc_id = d.doc_id
WHERE d.period IS NOT NULL
GROUP BY d.period
ORDER BY d.period
