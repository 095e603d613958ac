-- Record one simulator run's parameters.
-- Params: every sim_runs column except created_at, by name ($parameters is a JSON string).
-- Returns: nothing.
INSERT INTO sim_runs VALUES (
    $run_id, $family, $baseline, $lang, $tokenizer, $schedule, $schedule_description, $regimes,
    $generations, $tokens, $replicates, $temperature, $top_p, $seed, $years_per_generation,
    $start_year, $vocabulary, $baseline_tokens, $tail_types, $parameters, $seconds, now()::TIMESTAMP
)
