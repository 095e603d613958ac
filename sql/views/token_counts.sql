-- Token counts as rows, one per (source, crawl, year, lang, block, tokenizer, token): the
-- token_blocks lists unnested and named through the tokens dictionary. For ad-hoc SQL; the
-- estimators read token_blocks directly.
CREATE OR REPLACE VIEW token_counts AS
SELECT b.source_id, b.crawl, b.year, b.lang, b.block, b.tokenizer, t.token, b.token_id, b.count
FROM (
    SELECT source_id, crawl, year, lang, block, tokenizer,
           unnest(token_ids) AS token_id, unnest(counts) AS count
    FROM token_blocks
) AS b
LEFT JOIN tokens AS t ON t.tokenizer = b.tokenizer AND t.token_id = b.token_id;
