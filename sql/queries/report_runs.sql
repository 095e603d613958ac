-- The latest metrics run per estimator that a yearly report against $baseline can use: rows grouped by
-- year over all languages; drift and tails runs must have used $baseline, dups and synth runs need not; a synth
-- run must be a share of documents (not an uncalibrated sentence-unit run's share of sentences); drift and tails
-- runs must have read $tokenizer's counts ('word': the default word tokenizer's). A run made before the store's
-- documents last changed (view data_version: an ingest, a removal) is not used, nor one of other options than the
-- report's definitions say (95% intervals; dups at Jaccard 0.8; tails of 5% of the mass; at least 10 draws), nor a
-- newest synth run made before one of its references was made again (view synth_stale_references).
-- Params: $baseline VARCHAR, $tokenizer VARCHAR.
-- Returns: estimator VARCHAR, run_id BIGINT, config JSON (the run's configuration); by estimator.
WITH candidates AS (
    SELECT estimator, max(run_id) AS run_id
    FROM metrics
    WHERE lang IS NULL
      AND run_id NOT IN (SELECT run_id FROM stale_runs)
      -- measured as the report defines its metrics (a run of other options, from exploring, is not the report's)
      AND coalesce(TRY_CAST(json_extract_string(parameters, '$.confidence') AS DOUBLE),
                   TRY_CAST(json_extract_string(parameters, '$.ci_level') AS DOUBLE), 0.95) = 0.95
      AND (estimator <> 'dups' OR coalesce(TRY_CAST(json_extract_string(parameters, '$.threshold') AS DOUBLE), 0.8) = 0.8)
      AND (estimator <> 'tails' OR coalesce(TRY_CAST(json_extract_string(parameters, '$.tail_mass') AS DOUBLE), 0.05) = 0.05)
      AND (estimator NOT IN ('drift', 'tails') OR coalesce(TRY_CAST(json_extract_string(parameters, '$.draws') AS INTEGER), 10) >= 10)
      AND coalesce(json_extract_string(parameters, '$.by'), 'year') = 'year'
      AND json_extract_string(parameters, '$.lang') IS NULL
      AND (estimator <> 'synth' OR coalesce(json_extract_string(parameters, '$.share'), 'documents') = 'documents')
      AND (estimator NOT IN ('drift', 'tails') OR (json_extract_string(parameters, '$.baseline') = $baseline
           AND coalesce(json_extract_string(parameters, '$.tokenizer'), 'word') = $tokenizer))
    GROUP BY estimator
)
SELECT c.estimator, c.run_id, r.config
FROM candidates c LEFT JOIN runs r USING (run_id)
-- the newest synth run made before one of its references was made again (reference add --replace) is of the old
-- texts: none is the report's (it estimates again against those references), not an older run of other references
WHERE c.estimator <> 'synth' OR c.run_id NOT IN (SELECT run_id FROM synth_stale_references)
ORDER BY c.estimator;
