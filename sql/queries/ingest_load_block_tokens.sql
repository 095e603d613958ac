-- Load a file's staged parts (registered as the Arrow table _parts) into block_tokens.
-- Params: none; reads _parts (Store.load_parts).
INSERT INTO block_tokens BY NAME SELECT * FROM _parts;
