-- The texts of a folder of Parquet files (doc_id, text), restricted to sources in the ledger: the
-- `texts` view is `SELECT * FROM texts_files('<store>.texts/*.parquet')` (see provenance/textfiles.py).
-- A file whose ingest never committed (a killed process) has a source_id not in `sources`: invisible.
CREATE OR REPLACE MACRO texts_files(pattern) AS TABLE
SELECT t.doc_id, t.text
FROM read_parquet(pattern) AS t
WHERE (t.doc_id >> 32) IN (SELECT source_id FROM sources);
