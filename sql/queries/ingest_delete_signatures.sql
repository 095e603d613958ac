-- Delete the signatures rows of the given sources (doc_id >> 32 is the source_id).
-- Params: $ids BIGINT[].
DELETE FROM signatures WHERE (doc_id >> 32) IN (SELECT unnest($ids));
