-- Sources a new ingest of a file replaces: earlier failed attempts at the same path, an earlier version of
-- the file when this one was read ($done: the same path, other content: a download completed, a WARC file
-- appended to; or a remote read that ended before the file's end, which has no sha256), and with $force also
-- finished ingests of the same path or content.
-- Params: $path VARCHAR, $sha256 VARCHAR, $done BOOLEAN, $force BOOLEAN.
-- Returns: source_id BIGINT, earlier_version BOOLEAN, read_whole BOOLEAN (whether that ingest read its file to the end).
SELECT source_id,
       status = 'done' AND path = $path AND (sha256 IS DISTINCT FROM $sha256 OR sha256 IS NULL) AS earlier_version,
       sha256 IS NOT NULL AS read_whole
FROM sources
WHERE (path = $path AND (status <> 'done' OR $force OR ($done AND (sha256 IS DISTINCT FROM $sha256 OR sha256 IS NULL))))
   OR ($force AND status = 'done' AND sha256 = $sha256);
