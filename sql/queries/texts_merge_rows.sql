-- One source's texts: the rows of its current file(s) and the registered new rows `_new_texts`, by doc_id.
-- Params: $files VARCHAR[] (the source's file or bundle, or the folder's zero-row schema file), $source_id BIGINT.
-- Returns: doc_id BIGINT, text VARCHAR.
SELECT doc_id, text FROM (
    SELECT doc_id, text FROM read_parquet($files) WHERE doc_id >> 32 = $source_id
    UNION ALL
    SELECT doc_id::BIGINT AS doc_id, text::VARCHAR AS text FROM _new_texts WHERE doc_id >> 32 = $source_id
) ORDER BY doc_id;
