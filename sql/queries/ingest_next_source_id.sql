-- The next free source id.
-- Returns: source_id BIGINT.
SELECT coalesce(max(source_id), 0) + 1 AS source_id FROM sources;
