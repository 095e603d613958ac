-- Append synthetic-share rows (estimator 'synth', metric 'alpha') to metrics.
-- Reads the client-registered relation _synth_rows with the metrics columns in table order:
-- run_id, estimator, metric, period, lang, value, ci_low, ci_high, parameters (JSON text), created_at.
-- Params: none. Returns: nothing.
INSERT INTO metrics (run_id, estimator, metric, period, lang, value, ci_low, ci_high, parameters, created_at)
SELECT run_id, estimator, metric, period, lang, value, ci_low, ci_high, parameters::JSON, created_at
FROM _synth_rows
