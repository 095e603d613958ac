-- Record one ingest fault.
-- Params: $source_id, $path, $offset, $record_id, $kind, $reason, $run_id, $created_at.
INSERT INTO ingest_errors VALUES ($source_id, $path, $offset, $record_id, $kind, $reason, $run_id, $created_at);
