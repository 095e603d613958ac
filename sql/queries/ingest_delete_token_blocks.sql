-- Delete the token_blocks rows of the given sources.
-- Params: $ids BIGINT[].
DELETE FROM token_blocks WHERE source_id IN (SELECT unnest($ids));
