-- Sources a new ingest of a file replaces: earlier failed attempts at the same path, and with
-- $force also finished ingests of the same path or content.
-- Params: $path VARCHAR, $sha256 VARCHAR, $force BOOLEAN.  Returns: source_id BIGINT.
SELECT source_id FROM sources
WHERE (status <> 'done' AND path = $path)
   OR ($force AND status = 'done' AND (path = $path OR sha256 = $sha256));
