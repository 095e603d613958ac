-- The ledger's finished files, for skipping work already done.
-- Returns: path VARCHAR, size BIGINT, mtime DOUBLE, sha256 VARCHAR.
SELECT path, size, mtime, sha256 FROM sources WHERE status = 'done';
