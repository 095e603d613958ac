-- The ledger's finished files, for skipping work already done (and saying when it was done with other options).
-- Returns: path VARCHAR, size BIGINT, mtime DOUBLE, sha256 VARCHAR, options VARCHAR.
SELECT path, size, mtime, sha256, options FROM sources WHERE status = 'done';
