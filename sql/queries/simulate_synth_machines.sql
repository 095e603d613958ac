-- The machine references that `provenance synth` estimates exist against (for --machine's error message).
-- Params: $lang VARCHAR or NULL (as simulate_observed_alpha).
-- Returns: machine VARCHAR; by name.
SELECT DISTINCT coalesce(json_extract_string(parameters, '$.references.machine'), json_extract_string(parameters, '$.machine')) AS machine
FROM metrics
WHERE estimator = 'synth' AND metric = 'alpha' AND value IS NOT NULL
  AND ($lang IS NULL OR lang IS NULL OR lang = $lang)
  AND machine IS NOT NULL
ORDER BY machine
