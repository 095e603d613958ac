-- Load a file's staged Parquet parts into texts.
-- Params: $files VARCHAR[].
INSERT INTO texts BY NAME SELECT * FROM read_parquet($files);
