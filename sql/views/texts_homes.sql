-- The file that holds each source's texts, by name in the store's texts folder: its bundle (texts_bundles)
-- or its own source-<source_id>.parquet (see provenance/textfiles.py). A source ingested with --no-text
-- has none there: its name names nothing.
CREATE OR REPLACE VIEW texts_homes AS
SELECT s.source_id, coalesce(b.file, 'source-' || s.source_id || '.parquet') AS file
FROM sources AS s LEFT JOIN texts_bundles AS b USING (source_id);
