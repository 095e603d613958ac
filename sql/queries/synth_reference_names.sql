-- The names of the stored reference corpora.
-- Returns: name VARCHAR; by name.
SELECT name FROM synth_references ORDER BY name;
