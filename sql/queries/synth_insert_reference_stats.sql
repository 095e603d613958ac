-- Store a reference's occurrence statistics from the client-registered relation _synth_stats
-- (columns unit VARCHAR, word VARCHAR, n_units BIGINT).
-- Params: $reference VARCHAR. Returns: nothing.
INSERT INTO synth_reference_stats (name, unit, word, n_units)
SELECT $reference, unit, word, n_units FROM _synth_stats
