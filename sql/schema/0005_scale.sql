-- Shard directories attached to this store (`provenance attach DIR`): the core tables (documents,
-- texts, token_counts, signatures, band_keys, sources, ingest_errors) are then views over DIR's
-- Parquet parts and JSON ledger. One row per attach; the latest row is the one in effect.
CREATE TABLE attachments (
    path        VARCHAR NOT NULL,  -- absolute folder or s3:// URL
    run_id      BIGINT,            -- the attach run (runs.run_id)
    files       BIGINT,            -- finished input files in the ledger at attach time
    failed      BIGINT,            -- input files with an error record
    documents   BIGINT,
    tables      JSON,              -- core tables that had Parquet parts (the rest are empty views)
    attached_at TIMESTAMP
);
