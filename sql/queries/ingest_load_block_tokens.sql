-- Load a file's staged Parquet parts into block_tokens.
-- Params: $files VARCHAR[].
INSERT INTO block_tokens BY NAME SELECT * FROM read_parquet($files);
