-- Forget which bundle holds the texts of the given sources (their rows there are nobody's from now on).
-- Params: $ids BIGINT[].
DELETE FROM texts_bundles WHERE source_id IN (SELECT unnest($ids));
