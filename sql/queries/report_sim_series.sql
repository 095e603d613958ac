-- A simulator run's trajectories for the report: per regime and generation, the median and 90% band
-- of tail survival and JSD to P0 over replicates, and the median synthetic share (view sim_summary).
-- Params: $run_id BIGINT.
-- Returns: regime, generation, year, alpha, tail_survival_median/q05/q95, jsd_median/q05/q95;
-- by regime, generation.
SELECT regime, generation, year, alpha_median AS alpha,
       tail_survival_median, tail_survival_q05, tail_survival_q95,
       jsd_median, jsd_q05, jsd_q95
FROM sim_summary
WHERE run_id = $run_id
ORDER BY regime, generation;
