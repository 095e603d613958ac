-- Add a file's tokens to the dictionary, skipping ids it already holds.
-- Params: $files VARCHAR[].
INSERT INTO tokens BY NAME
SELECT p.tokenizer, p.token_id, p.token
FROM read_parquet($files) AS p
ANTI JOIN tokens AS t ON t.tokenizer = p.tokenizer AND t.token_id = p.token_id;
