-- The stored machine reference corpora with their documents, by name.
-- Returns: name VARCHAR, n_docs BIGINT.
SELECT name, n_docs FROM synth_references WHERE label = 'machine' ORDER BY name;
