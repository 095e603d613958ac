-- Append result rows to the metrics table (every estimator: drift, tails, dups, synth).
-- Reads the client-registered relation _metric_rows with the metrics columns:
-- run_id, estimator, metric, period, lang, value, ci_low, ci_high, parameters (JSON text), created_at.
-- Params: none. Returns: nothing.
INSERT INTO metrics (run_id, estimator, metric, period, lang, value, ci_low, ci_high, parameters, created_at)
SELECT run_id, estimator, metric, period, lang, value, ci_low, ci_high, parameters::JSON, created_at
FROM _metric_rows;
