-- Load a file's staged parts (registered as the Arrow table _parts) into token_blocks.
-- Params: none; reads _parts (Store.load_parts).
INSERT INTO token_blocks BY NAME SELECT * FROM _parts;
