-- When the store's documents last changed: the newest commit of a file with documents or read whole (its ledger row's
-- finished_at; a file that fails again at each rerun changes nothing), removal of files with documents, or attach of
-- Parquet shards (1970 when never). Times, not run ids: a store attached to shards reads ledgers whose run ids are
-- the shard writers' (milliseconds), and an ingest into the shards shows through the views without a run here. An
-- estimate whose run started before it was made on other documents: the report computes it again rather than show a
-- new crawl as "n/a" beside the old one's numbers.
CREATE OR REPLACE VIEW data_version AS
SELECT greatest(
    coalesce((SELECT max(coalesce(finished_at, started_at)) FROM runs
              WHERE command = 'attach'
                 OR (command = 'remove' AND coalesce(TRY_CAST(config ->> '$.documents' AS BIGINT), 1) > 0)),
             TIMESTAMP '1970-01-01'),
    coalesce((SELECT max(finished_at) FROM sources WHERE status = 'done' OR n_docs > 0), TIMESTAMP '1970-01-01')
) AS changed_at;

-- The runs made before the documents last changed: estimates the report does not take (it computes them again).
CREATE OR REPLACE VIEW stale_runs AS
SELECT run_id FROM runs WHERE started_at <= (SELECT changed_at FROM data_version);
