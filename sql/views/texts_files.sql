-- The texts of a folder of Parquet files (doc_id, text), restricted to sources in the ledger: the
-- `texts` view is `SELECT * FROM texts_files('<store>.texts/*.parquet')` (see provenance/textfiles.py).
-- A row is read from its source's own file (source-<source_id>.parquet) or from the bundle that
-- `texts_bundles` names for its source, never from another file: a file whose ingest never committed
-- (a killed process) has a source_id not in `sources`, and a bundle not yet recorded or a source file
-- already bundled (a compaction killed midway) is nobody's: invisible.
CREATE OR REPLACE MACRO texts_files(pattern) AS TABLE
SELECT t.doc_id, t.text
FROM read_parquet(pattern, filename = true) AS t
SEMI JOIN texts_homes AS h ON h.source_id = t.doc_id >> 32 AND h.file = parse_filename(t.filename);
