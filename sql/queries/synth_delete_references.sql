-- Delete one reference's rows from synth_references (before replacing the reference).
-- Params: $reference VARCHAR. Returns: nothing.
DELETE FROM synth_references WHERE name = $reference
