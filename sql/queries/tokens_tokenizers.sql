-- The tokenizers whose counts the store holds ('word', and 'hf:<folder>@<hash>' for each --tokenizer), by name.
-- Returns: tokenizer VARCHAR.
SELECT DISTINCT tokenizer FROM token_blocks ORDER BY tokenizer;
