-- How many years a synth run has estimates for (the simulator's observed schedule fits a trend to 2 or more).
-- Params: $run_id BIGINT.
-- Returns: years BIGINT.
SELECT count(DISTINCT period) AS years FROM synth_shares WHERE run_id = $run_id AND value IS NOT NULL;
