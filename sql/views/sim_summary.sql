-- Simulator results per run, regime and generation: median and 90% band over replicates.
CREATE OR REPLACE VIEW sim_summary AS
SELECT run_id, regime, generation, any_value(year) AS year, count(*) AS replicates,
       quantile_cont(alpha, 0.5)          AS alpha_median,
       quantile_cont(alpha, 0.05)         AS alpha_q05,
       quantile_cont(alpha, 0.95)         AS alpha_q95,
       quantile_cont(tail_survival, 0.5)  AS tail_survival_median,
       quantile_cont(tail_survival, 0.05) AS tail_survival_q05,
       quantile_cont(tail_survival, 0.95) AS tail_survival_q95,
       quantile_cont(jsd, 0.5)            AS jsd_median,
       quantile_cont(jsd, 0.05)           AS jsd_q05,
       quantile_cont(jsd, 0.95)           AS jsd_q95,
       quantile_cont(entropy, 0.5)        AS entropy_median,
       quantile_cont(entropy, 0.05)       AS entropy_q05,
       quantile_cont(entropy, 0.95)       AS entropy_q95,
       quantile_cont(kl, 0.5)             AS kl_median,
       quantile_cont(kl, 0.05)            AS kl_q05,
       quantile_cont(kl, 0.95)            AS kl_q95
FROM sim_generations
GROUP BY run_id, regime, generation
ORDER BY run_id, regime, generation;
