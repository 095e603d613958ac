-- Documents that repeat a capture another document of the store holds (the same URL, fetch time and text): the same
-- records ingested twice, from a WACZ and its WARC in two runs, or a repackaged copy (concatenated, split,
-- recompressed) whose bytes differ, which the ledger's content hash cannot tell. Duplicate rates count them twice.
-- Params: $run_id BIGINT (the documents of that ingest run's files; NULL: of the whole store).
-- Returns: n BIGINT (such documents among those), path VARCHAR and other VARCHAR (the pair of files with the most);
-- no row when there are none.
WITH picked AS (
    SELECT doc_id, source_id, url, fetch_time, text_hash
    FROM documents
    WHERE url IS NOT NULL AND fetch_time IS NOT NULL
      AND ($run_id IS NULL OR source_id IN (SELECT source_id FROM sources WHERE run_id = $run_id))
), twins AS (
    SELECT p.doc_id, p.source_id, o.source_id AS other
    FROM picked p
    JOIN documents o ON o.url = p.url AND o.fetch_time = p.fetch_time AND o.text_hash IS NOT DISTINCT FROM p.text_hash
                    AND o.source_id <> p.source_id  -- (a crawler's page fetched twice into one file: its duplicate rates)
), pair AS (
    SELECT source_id, other, count(*) AS n
    FROM twins
    GROUP BY source_id, other
    ORDER BY n DESC, source_id, other
    LIMIT 1
)
SELECT (SELECT count(DISTINCT doc_id) FROM twins) AS n, s.path, o.path AS other
FROM pair
JOIN sources s ON s.source_id = pair.source_id
JOIN sources o ON o.source_id = pair.other;
