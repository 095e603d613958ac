-- Delete one reference's rows from synth_reference_stats (before replacing the reference).
-- Params: $reference VARCHAR. Returns: nothing.
DELETE FROM synth_reference_stats WHERE name = $reference
