-- Load a file's staged Parquet parts into signatures.
-- Params: $files VARCHAR[].
INSERT INTO signatures BY NAME SELECT * FROM read_parquet($files);
