-- The latest metrics run per estimator that a yearly report against $baseline can use: rows grouped by
-- year over all languages; drift and tails runs must have used $baseline, dups and synth runs need not; a synth
-- run must be a share of documents (not an uncalibrated sentence-unit run's share of sentences); drift and tails
-- runs must have read $tokenizer's counts ('word': the default word tokenizer's). A run made before the store's
-- documents last changed (view data_version: an ingest, a removal) is not used.
-- Params: $baseline VARCHAR, $tokenizer VARCHAR.
-- Returns: estimator VARCHAR, run_id BIGINT, config JSON (the run's configuration); by estimator.
WITH candidates AS (
    SELECT estimator, max(run_id) AS run_id
    FROM metrics
    WHERE lang IS NULL
      AND run_id > (SELECT run_id FROM data_version)
      AND coalesce(json_extract_string(parameters, '$.by'), 'year') = 'year'
      AND json_extract_string(parameters, '$.lang') IS NULL
      AND (estimator <> 'synth' OR coalesce(json_extract_string(parameters, '$.share'), 'documents') = 'documents')
      AND (estimator NOT IN ('drift', 'tails') OR (json_extract_string(parameters, '$.baseline') = $baseline
           AND coalesce(json_extract_string(parameters, '$.tokenizer'), 'word') = $tokenizer))
    GROUP BY estimator
)
SELECT c.estimator, c.run_id, r.config
FROM candidates c LEFT JOIN runs r USING (run_id)
ORDER BY c.estimator;
