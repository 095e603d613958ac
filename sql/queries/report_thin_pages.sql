-- Pages to inspect: the shortest documents of every year (thin pages: search results, error pages,
-- stubs), plus any page whose URL or text carries HTML markup (extraction leftovers, injection
-- attempts), with the opening characters of their text when the store keeps texts.
-- Params: $per_period INTEGER (shortest rows per year), $chars INTEGER (snippet length).
-- Returns: period VARCHAR, url VARCHAR, tokens INTEGER, snippet VARCHAR; by year, tokens, doc_id.
SELECT CAST(d.year AS VARCHAR) AS period, d.url, d.n_tokens AS tokens, left(t.text, $chars) AS snippet
FROM documents d LEFT JOIN texts t USING (doc_id)
WHERE d.year IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY d.year ORDER BY d.n_tokens, d.doc_id) <= $per_period
     OR regexp_matches(coalesce(d.url, ''), '[<>"]')
     OR regexp_matches(coalesce(t.text, ''), '<(script|img|iframe|svg)|onerror=', 'i')
ORDER BY d.year, d.n_tokens, d.doc_id;
