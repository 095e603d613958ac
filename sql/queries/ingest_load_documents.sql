-- Load a file's staged parts (registered as the Arrow table _parts) into documents.
-- Params: none; reads _parts (Store.load_parts).
INSERT INTO documents BY NAME SELECT * FROM _parts;
