-- MinHash signatures (128 little-endian uint32 each) of the documents in scope, by doc_id.
-- Params: $lang (VARCHAR or NULL: only documents of this language).
-- Columns: doc_id BIGINT, minhash BLOB.
SELECT s.doc_id, s.minhash
FROM signatures s
WHERE $lang IS NULL OR s.doc_id IN (SELECT doc_id FROM documents WHERE lang = $lang)
ORDER BY s.doc_id;
