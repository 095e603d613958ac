-- Sources a new ingest of a file replaces: earlier failed attempts at the same path, an earlier version of
-- the file when this one was read ($done: the same path, other content: a download completed, a WARC file
-- appended to), and with $force also finished ingests of the same path or content.
-- Params: $path VARCHAR, $sha256 VARCHAR, $done BOOLEAN, $force BOOLEAN.
-- Returns: source_id BIGINT, earlier_version BOOLEAN.
SELECT source_id, status = 'done' AND path = $path AND sha256 IS DISTINCT FROM $sha256 AS earlier_version FROM sources
WHERE (path = $path AND (status <> 'done' OR $force OR ($done AND sha256 IS DISTINCT FROM $sha256)))
   OR ($force AND status = 'done' AND sha256 = $sha256);
