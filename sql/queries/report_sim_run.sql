-- The latest categorical simulator run whose true distribution P0 is the period $baseline over all languages,
-- in $tokenizer's counts ('word': the default word tokenizer's), made since the store's documents last changed.
-- Params: $baseline VARCHAR, $tokenizer VARCHAR.
-- Returns: run_id, schedule, schedule_description, regimes, generations, tokens, replicates, temperature,
-- top_p, seed, years_per_generation, start_year, vocabulary, baseline_tokens, tail_types, parameters (JSON).
SELECT run_id, schedule, schedule_description, regimes, generations, tokens, replicates, temperature, top_p,
       seed, years_per_generation, start_year, vocabulary, baseline_tokens, tail_types, parameters
FROM sim_runs
WHERE family = 'categorical' AND baseline = $baseline AND lang IS NULL AND coalesce(tokenizer, 'word') = $tokenizer
  AND run_id NOT IN (SELECT run_id FROM stale_runs)
ORDER BY run_id DESC
LIMIT 1;
