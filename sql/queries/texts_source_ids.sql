-- The sources that have rows in the texts table of a store older than layout 0008.
-- Returns: source_id BIGINT.
SELECT DISTINCT doc_id >> 32 AS source_id FROM texts ORDER BY 1;
