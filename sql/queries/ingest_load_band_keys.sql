-- Load a file's staged Parquet parts into band_keys.
-- Params: $files VARCHAR[].
INSERT INTO band_keys BY NAME SELECT * FROM read_parquet($files);
