-- Delete the ledger rows of the given sources.
-- Params: $ids BIGINT[].
DELETE FROM sources WHERE source_id IN (SELECT unnest($ids));
