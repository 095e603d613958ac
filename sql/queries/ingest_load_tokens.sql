-- Add the tokens of a commit's files to the dictionary, skipping ids it already holds: an anti-join scan of
-- the merged dictionary (while it is small: see provenance/ingest/dictionary.py). Ids only pending stay so:
-- the `tokens` view shows each once, and their merge skips them. A file's tokens are distinct; the files
-- of one commit (pipeline.commit_files) share some, added once.
-- Params: none; reads _parts (Store.load_parts).
INSERT INTO token_dict BY NAME
SELECT p.tokenizer, p.token_id, any_value(p.token) AS token
FROM _parts AS p
ANTI JOIN token_dict AS t ON t.tokenizer = p.tokenizer AND t.token_id = p.token_id
GROUP BY p.tokenizer, p.token_id;
