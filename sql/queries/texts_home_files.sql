-- The file that holds each source's texts, by name in the texts folder (the view texts_homes).
-- Returns: source_id BIGINT, file VARCHAR.
SELECT source_id, file FROM texts_homes ORDER BY source_id;
