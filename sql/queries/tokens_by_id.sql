-- The dictionary entries of one tokenizer (to name token ids).
-- Params: $tokenizer VARCHAR.
-- Columns: token_id UBIGINT, token VARCHAR.
SELECT token_id, any_value(token) AS token FROM tokens WHERE tokenizer = $tokenizer GROUP BY token_id;
