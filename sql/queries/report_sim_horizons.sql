-- Collapse horizon of every replicate of a simulator run (view sim_horizons; NULL: never collapsed).
-- Params: $run_id BIGINT.
-- Returns: regime VARCHAR, replicate INTEGER, horizon INTEGER, horizon_year DOUBLE; by regime, replicate.
SELECT regime, replicate, horizon, horizon_year
FROM sim_horizons
WHERE run_id = $run_id
ORDER BY regime, replicate;
