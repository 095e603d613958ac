-- Load a file's staged Parquet parts into documents.
-- Params: $files VARCHAR[].
INSERT INTO documents BY NAME SELECT * FROM read_parquet($files);
