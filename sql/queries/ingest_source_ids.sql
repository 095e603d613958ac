-- Every source_id in the ledger (committed files, done or failed).
-- Returns: source_id BIGINT.
SELECT source_id FROM sources;
