-- Delete the token_counts rows of the given sources.
-- Params: $ids BIGINT[].
DELETE FROM token_counts WHERE source_id IN (SELECT unnest($ids));
