-- Consistency of the store: each row names a check and whether it is violated.
-- Returns: name VARCHAR, bad BOOLEAN.
SELECT 'duplicate doc_id' AS name, EXISTS (SELECT doc_id FROM documents GROUP BY doc_id HAVING count(*) > 1) AS bad
UNION ALL SELECT 'duplicate source_id', EXISTS (SELECT source_id FROM sources GROUP BY source_id HAVING count(*) > 1)
UNION ALL SELECT 'two done sources with one sha256', EXISTS (SELECT sha256 FROM sources WHERE status = 'done' GROUP BY sha256 HAVING count(*) > 1)
UNION ALL SELECT 'document without a done source', EXISTS (SELECT 1 FROM documents d ANTI JOIN (SELECT source_id FROM sources WHERE status = 'done') s USING (source_id))
UNION ALL SELECT 'text without a document', EXISTS (SELECT 1 FROM texts t ANTI JOIN documents d USING (doc_id))
UNION ALL SELECT 'document without its text', EXISTS (  -- of a file ingested with its text (a texts file deleted by hand)
    SELECT 1 FROM documents d SEMI JOIN (SELECT source_id FROM sources WHERE status = 'done' AND options ->> '$.keep_text' = 'true') s
        USING (source_id)
    ANTI JOIN texts t USING (doc_id))
UNION ALL SELECT 'signature without a document', EXISTS (SELECT 1 FROM signatures t ANTI JOIN documents d USING (doc_id))
UNION ALL SELECT 'band key without a document', EXISTS (SELECT 1 FROM band_keys t ANTI JOIN documents d USING (doc_id))
UNION ALL SELECT 'token counts without a done source', EXISTS (SELECT 1 FROM token_blocks t ANTI JOIN (SELECT source_id FROM sources WHERE status = 'done') s USING (source_id))
UNION ALL SELECT 'token block ids not unique', (SELECT count(*) <> count(DISTINCT block_id) FROM token_blocks)
UNION ALL SELECT 'token counts without a token block', EXISTS (SELECT 1 FROM block_tokens c ANTI JOIN token_blocks b USING (block_id))
UNION ALL SELECT 'token block total differs from its counts', EXISTS (
    SELECT 1 FROM token_blocks b LEFT JOIN (SELECT block_id, sum(count) AS n FROM block_tokens GROUP BY block_id) c USING (block_id)
    WHERE coalesce(c.n, 0) <> b.n_tokens)
UNION ALL SELECT 'token id without a dictionary entry', EXISTS (
    SELECT 1 FROM (SELECT DISTINCT b.tokenizer, c.token_id FROM block_tokens c JOIN token_blocks b USING (block_id)) u
    ANTI JOIN tokens t ON t.tokenizer = u.tokenizer AND t.token_id = u.token_id)
UNION ALL SELECT 'token id twice in the dictionary', EXISTS (
    SELECT 1 FROM tokens GROUP BY tokenizer, token_id HAVING count(*) > 1)
UNION ALL SELECT 'document count differs from ledger', EXISTS (
    SELECT 1 FROM sources s LEFT JOIN (SELECT source_id, count(*) AS n FROM documents GROUP BY source_id) d USING (source_id)
    WHERE s.status = 'done' AND coalesce(d.n, 0) <> s.n_docs)
UNION ALL SELECT 'token total differs from documents', (SELECT coalesce(sum(n_tokens), 0) FROM token_blocks WHERE tokenizer = 'word')
                                                      <> (SELECT coalesce(sum(n_tokens), 0) FROM documents);
