-- Add a file's tokens to the dictionary, skipping ids it already holds.
-- Params: none; reads _parts (Store.load_parts).
INSERT INTO tokens BY NAME
SELECT p.tokenizer, p.token_id, p.token
FROM _parts AS p
ANTI JOIN tokens AS t ON t.tokenizer = p.tokenizer AND t.token_id = p.token_id;
