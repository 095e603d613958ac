-- The rows of one source in the texts table of a store older than layout 0008, in doc_id order.
-- Params: $source_id BIGINT.
-- Returns: doc_id BIGINT, text VARCHAR.
SELECT doc_id, text FROM texts WHERE doc_id >> 32 = $source_id ORDER BY doc_id;
