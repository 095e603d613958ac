-- The texts of some files of the texts folder, in the order of the list (each file is in doc_id order).
-- Params: $files VARCHAR[].
-- Returns: doc_id BIGINT, text VARCHAR.
SELECT doc_id, text FROM read_parquet($files);
