-- The newest run that changed what the store's documents are: an ingest that committed files with documents or read
-- whole (their ledger rows name it; a file that fails again at each rerun, its record replaced, changes nothing), a
-- removal of files, or an attach of Parquet shards (0 when none). An estimate of an earlier run was made on other
-- documents: the report computes it again rather than show a new crawl as "n/a" beside the old one's numbers.
CREATE OR REPLACE VIEW data_version AS
SELECT coalesce(max(r.run_id), 0) AS run_id
FROM runs r
WHERE r.command IN ('attach', 'remove')
   OR (r.command = 'ingest' AND r.run_id IN (SELECT run_id FROM sources WHERE status = 'done' OR n_docs > 0));
