-- Sources the new ingest of each file of a commit replaces: earlier failed attempts at the same path, an
-- earlier version of the file when this one was read (done: the same path, other content: a download
-- completed, a WARC file appended to; or a remote read that ended before the file's end, which has no
-- sha256), and with $force also finished ingests of the same path or content.
-- Params: $force BOOLEAN; reads _files (i BIGINT, path VARCHAR, sha256 VARCHAR, done BOOLEAN: whether the
-- file was read), registered by provenance/ingest/commit.py.
-- Returns: i (the file), source_id BIGINT, earlier_version BOOLEAN, read_whole BOOLEAN (whether that ingest
-- read its file to the end); by file, then source.
SELECT f.i, s.source_id,
       s.status = 'done' AND (s.sha256 IS DISTINCT FROM f.sha256 OR s.sha256 IS NULL) AS earlier_version,
       s.sha256 IS NOT NULL AS read_whole
FROM _files AS f JOIN sources AS s ON s.path = f.path
WHERE s.status <> 'done' OR $force OR (f.done AND (s.sha256 IS DISTINCT FROM f.sha256 OR s.sha256 IS NULL))
UNION ALL
SELECT f.i, s.source_id, false AS earlier_version, true AS read_whole
FROM _files AS f JOIN sources AS s ON s.sha256 = f.sha256
WHERE $force AND s.status = 'done' AND s.path <> f.path
ORDER BY 1, 2;
