-- The machine references that `provenance synth` estimates exist against (for --machine's error message).
-- Params: $lang VARCHAR or NULL (as simulate_observed_alpha).
-- Returns: machine VARCHAR; by name.
SELECT DISTINCT machine
FROM synth_shares
WHERE value IS NOT NULL AND ($lang IS NULL OR lang IS NULL OR lang = $lang) AND machine IS NOT NULL
ORDER BY machine
