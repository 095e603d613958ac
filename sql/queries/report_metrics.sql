-- Metric rows of the given runs, all-language rows only.
-- Params: $run_ids BIGINT[].
-- Returns: estimator VARCHAR, metric VARCHAR, period VARCHAR, value DOUBLE, ci_low DOUBLE, ci_high DOUBLE;
-- by estimator, metric, period.
SELECT estimator, metric, period, value, ci_low, ci_high
FROM metrics
WHERE list_contains($run_ids, run_id) AND lang IS NULL
ORDER BY estimator, metric, period;
