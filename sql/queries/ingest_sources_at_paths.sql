-- Finished sources at the given ledger paths (the WET files a WARC file replaces: see inputs.twins_in_ledger).
-- Params: $paths VARCHAR[].  Returns: source_id BIGINT.
SELECT source_id FROM sources WHERE status = 'done' AND path IN (SELECT unnest($paths));
