-- Delete the documents of the given sources.
-- Params: $ids BIGINT[].
DELETE FROM documents WHERE source_id IN (SELECT unnest($ids));
