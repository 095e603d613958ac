-- Load a file's staged parts (registered as the Arrow table _parts) into band_keys.
-- Params: none; reads _parts (Store.load_parts).
INSERT INTO band_keys BY NAME SELECT * FROM _parts;
