-- The token dictionary as readers see it: merged entries, and pending ones not merged yet (once each).
-- With nothing pending (after every ingest) this reads token_dict alone. See sql/schema/0010.
CREATE OR REPLACE VIEW tokens AS
SELECT tokenizer, token_id, token FROM token_dict
UNION ALL
SELECT p.tokenizer, p.token_id, any_value(p.token) AS token
FROM tokens_pending AS p
ANTI JOIN token_dict AS d ON d.tokenizer = p.tokenizer AND d.token_id = p.token_id
GROUP BY p.tokenizer, p.token_id;
