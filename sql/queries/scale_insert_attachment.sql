-- Record one `provenance attach` of a shard directory.
-- Params: $path VARCHAR, $run_id BIGINT, $files BIGINT, $failed BIGINT, $documents BIGINT, $tables JSON,
--         $attached_at TIMESTAMP (UTC).
INSERT INTO attachments VALUES ($path, $run_id, $files, $failed, $documents, $tables, $attached_at);
