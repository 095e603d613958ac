-- Headline counts of a store for the report.
-- Returns: files BIGINT, documents BIGINT, tokens BIGINT, ingest_errors BIGINT, has_synth_references BOOLEAN.
SELECT (SELECT count(*) FROM sources WHERE status = 'done') AS files,
       (SELECT count(*) FROM documents) AS documents,
       (SELECT coalesce(sum(n_tokens), 0) FROM documents)::BIGINT AS tokens,
       (SELECT count(*) FROM ingest_errors) AS ingest_errors,
       (SELECT count(DISTINCT label) = 2 FROM synth_references) AS has_synth_references;
