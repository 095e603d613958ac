-- The ledger's finished files, for skipping work already done (and saying when it was done with other
-- options, or cut short by --file-timeout: a file-level timeout fault, which has no offset).
-- Returns: path VARCHAR, size BIGINT, mtime DOUBLE, sha256 VARCHAR, options VARCHAR, cut BOOLEAN.
SELECT path, size, mtime, sha256, options,
       EXISTS (SELECT 1 FROM ingest_errors e WHERE e.source_id = s.source_id AND e.kind = 'timeout' AND e."offset" IS NULL) AS cut
FROM sources s WHERE status = 'done';
