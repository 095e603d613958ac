-- The ledger's finished files, for skipping work already done (and saying when it was done with other
-- options, or cut short by --file-timeout: a file-level timeout fault, which has no offset), and for pairing
-- WARC files with the WET files of their pages (whether a file held pages: ingest/pages.py, read_pages).
-- Returns: path VARCHAR, size BIGINT, mtime DOUBLE, sha256 VARCHAR, options VARCHAR, cut BOOLEAN,
-- record_counts VARCHAR, skip_counts VARCHAR, n_sampled_out BIGINT.
SELECT path, size, mtime, sha256, options,
       EXISTS (SELECT 1 FROM ingest_errors e WHERE e.source_id = s.source_id AND e.kind = 'timeout' AND e."offset" IS NULL) AS cut,
       record_counts::VARCHAR AS record_counts, skip_counts::VARCHAR AS skip_counts, n_sampled_out
FROM sources s WHERE status = 'done';
