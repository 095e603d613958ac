-- The sources of the registered new rows `_new_texts` (doc_id >> 32).
-- Returns: source_id BIGINT.
SELECT DISTINCT doc_id >> 32 AS source_id FROM _new_texts ORDER BY 1;
