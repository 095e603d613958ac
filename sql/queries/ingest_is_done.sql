-- A finished source with this content, if any (a copy of a file already ingested).
-- Params: $sha256 VARCHAR.  Returns: path VARCHAR.
SELECT path FROM sources WHERE status = 'done' AND sha256 = $sha256 LIMIT 1;
