-- Copy the per-generation, per-replicate results of a run from the registered Arrow table sim_generations_in.
-- Params: $run_id BIGINT.
-- Returns: nothing.
INSERT INTO sim_generations
SELECT $run_id, regime, generation, replicate, year, alpha, tail_survival, jsd, entropy, kl,
       support, homozygosity, mean, variance
FROM sim_generations_in
ORDER BY regime, generation, replicate
