-- Delete the block_tokens rows of the given sources (block_id = source_id << 24 | number within the file).
-- Params: $ids BIGINT[].
DELETE FROM block_tokens WHERE (block_id >> 24) IN (SELECT unnest($ids));
