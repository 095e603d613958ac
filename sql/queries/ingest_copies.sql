-- For each file of a commit whose content a finished source holds (a copy of a file already ingested):
-- the earliest such source's path.
-- Params: none; reads _files (i BIGINT, path VARCHAR, sha256 VARCHAR, done BOOLEAN), registered by
-- provenance/ingest/commit.py.  Returns: i BIGINT, path VARCHAR.
SELECT f.i, arg_min(s.path, s.source_id) AS path
FROM _files AS f JOIN sources AS s ON s.sha256 = f.sha256
WHERE s.status = 'done'
GROUP BY f.i;
