-- Load a file's staged Parquet parts into token_counts.
-- Params: $files VARCHAR[].
INSERT INTO token_counts BY NAME SELECT * FROM read_parquet($files);
