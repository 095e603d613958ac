-- How many documents two references share (the same text), and each one's documents: a joint estimate's families
-- must be apart (provenance/synth/joint.py).
-- Params: $a VARCHAR, $b VARCHAR (reference names).
-- Returns: shared BIGINT, n_a BIGINT, n_b BIGINT.
SELECT (SELECT count(*) FROM (SELECT DISTINCT text FROM synth_reference_docs WHERE name = $a
                              INTERSECT SELECT DISTINCT text FROM synth_reference_docs WHERE name = $b)) AS shared,
       (SELECT count(DISTINCT text) FROM synth_reference_docs WHERE name = $a) AS n_a,
       (SELECT count(DISTINCT text) FROM synth_reference_docs WHERE name = $b) AS n_b;
