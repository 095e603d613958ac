-- Texts of one period's documents, leaving out documents that are part of the given references
-- (a period used as the human reference is estimated only on its held-apart documents).
-- $limit draws a seeded pseudo-random sample (NULL: all documents).
-- Params: $by VARCHAR ('year' or 'crawl'), $period VARCHAR, $lang VARCHAR or NULL,
--         $exclude VARCHAR[] (reference names), $limit BIGINT or NULL, $seed BIGINT.
-- Returns: doc_id BIGINT, text VARCHAR; in sample order.
SELECT d.doc_id, t.text
FROM documents AS d
JOIN texts AS t ON t.doc_id = d.doc_id
WHERE (CASE WHEN $by = 'year' THEN CAST(d.year AS VARCHAR) ELSE d.crawl END) = $period
  AND ($lang IS NULL OR d.lang = $lang)
  AND d.doc_id NOT IN (
      SELECT doc_id FROM synth_reference_docs WHERE list_contains($exclude, name) AND doc_id IS NOT NULL
  )
ORDER BY hash(d.doc_id, $seed), d.doc_id
LIMIT $limit
