-- Collapse horizon per simulator run, regime and replicate: the first generation whose tail
-- survival is under 50% (NULL when it never falls that low within the run's generations).
CREATE OR REPLACE VIEW sim_horizons AS
SELECT run_id, regime, replicate,
       min(generation) FILTER (WHERE tail_survival < 0.5) AS horizon,
       arg_min(year, generation) FILTER (WHERE tail_survival < 0.5) AS horizon_year
FROM sim_generations
GROUP BY run_id, regime, replicate
ORDER BY run_id, regime, replicate;
