-- Load a file's staged parts (registered as the Arrow table _parts) into signatures.
-- Params: none; reads _parts (Store.load_parts).
INSERT INTO signatures BY NAME SELECT * FROM _parts;
