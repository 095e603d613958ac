-- No rows, with the columns of a texts file (written as the folder's _schema.parquet).
-- Returns: doc_id BIGINT, text VARCHAR.
SELECT NULL::BIGINT AS doc_id, NULL::VARCHAR AS text WHERE false;
