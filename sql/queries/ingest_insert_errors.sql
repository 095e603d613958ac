-- Record the faults of a commit's files.
-- Params: none; reads _errors (the columns of ingest_errors), registered by provenance/ingest/commit.py.
INSERT INTO ingest_errors BY NAME SELECT * FROM _errors;
