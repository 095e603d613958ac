-- The ingest ledger with per-file outcome, newest first.
CREATE OR REPLACE VIEW source_summary AS
SELECT source_id, path, status, format, compression, crawl, n_records, n_docs, n_sampled_out, n_errors,
       round(seconds, 3) AS seconds, finished_at
FROM sources
ORDER BY source_id DESC;
