-- Append a file's own distinct tokens to the pending ones, unchecked (a large dictionary: see
-- provenance/ingest/dictionary.py); tokens_merge adds the new ones to the dictionary later.
-- Params: none; reads _parts (Store.load_parts).
INSERT INTO tokens_pending BY NAME
SELECT tokenizer, token_id, token FROM _parts;
