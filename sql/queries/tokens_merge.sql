-- Merge the pending tokens into the dictionary: each (tokenizer, token_id) not yet in it, once.
-- Run with tokens_clear_pending in one transaction. Params: none.
INSERT INTO token_dict
SELECT p.tokenizer, p.token_id, any_value(p.token) AS token
FROM tokens_pending AS p
ANTI JOIN token_dict AS d ON d.tokenizer = p.tokenizer AND d.token_id = p.token_id
GROUP BY p.tokenizer, p.token_id;
