-- The stored machine reference corpora, by name.
-- Returns: name VARCHAR.
SELECT name FROM synth_references WHERE label = 'machine' ORDER BY name;
