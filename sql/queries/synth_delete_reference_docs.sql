-- Delete one reference's rows from synth_reference_docs (before replacing the reference).
-- Params: $reference VARCHAR. Returns: nothing.
DELETE FROM synth_reference_docs WHERE name = $reference
