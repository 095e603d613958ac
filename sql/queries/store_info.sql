-- Headline counts of a store.
-- Returns: files BIGINT, documents BIGINT, tokens BIGINT, errors BIGINT.
SELECT (SELECT count(*) FROM sources WHERE status = 'done') AS files,
       (SELECT count(*) FROM documents) AS documents,
       (SELECT coalesce(sum(n_tokens), 0) FROM documents) AS tokens,
       (SELECT count(*) FROM ingest_errors) AS errors;
