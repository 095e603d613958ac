-- Observed synthetic shares written by `provenance synth`: the latest estimate per period.
-- A row for the requested language wins over an all-language (NULL lang) row of the same period.
-- Params: $lang VARCHAR or NULL (all-language rows, or any when none exist).
-- Returns: period VARCHAR, value DOUBLE, ci_low DOUBLE, ci_high DOUBLE, parameters JSON; by period.
SELECT period, value, ci_low, ci_high, parameters
FROM metrics
WHERE estimator = 'synth' AND metric = 'alpha' AND value IS NOT NULL
  AND ($lang IS NULL OR lang IS NULL OR lang = $lang)
QUALIFY row_number() OVER (
    PARTITION BY period
    ORDER BY (lang IS NOT DISTINCT FROM $lang) DESC, run_id DESC, created_at DESC
) = 1
ORDER BY period
