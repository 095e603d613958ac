-- Delete the ingest_errors rows of the given sources.
-- Params: $ids BIGINT[].
DELETE FROM ingest_errors WHERE source_id IN (SELECT unnest($ids));
