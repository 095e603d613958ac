-- Record that a bundle holds these sources' texts (their own files are then nobody's).
-- Params: $ids BIGINT[], $file VARCHAR (the bundle's name in the texts folder).
INSERT INTO texts_bundles SELECT unnest($ids) AS source_id, $file AS file;
