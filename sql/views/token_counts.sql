-- Token counts as rows, one per (block row, token): block_tokens rows with their block's keys, named
-- through the tokens dictionary (a block whose documents span two feature batches has two rows per
-- token: sum them). For ad-hoc SQL; the estimators read token_blocks and block_tokens directly.
CREATE OR REPLACE VIEW token_counts AS
SELECT b.source_id, b.crawl, b.year, b.lang, b.block, b.tokenizer, t.token, c.token_id, c.count
FROM block_tokens AS c
JOIN token_blocks AS b USING (block_id)
LEFT JOIN tokens AS t ON t.tokenizer = b.tokenizer AND t.token_id = c.token_id;
