-- Record the files of a commit in the ledger.
-- Params: none; reads _sources (the columns of sources), registered by provenance/ingest/commit.py.
INSERT INTO sources BY NAME SELECT * FROM _sources;
