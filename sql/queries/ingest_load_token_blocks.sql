-- Load a file's staged Parquet parts into token_blocks.
-- Params: $files VARCHAR[].
INSERT INTO token_blocks BY NAME SELECT * FROM read_parquet($files);
