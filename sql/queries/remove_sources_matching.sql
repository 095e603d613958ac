-- The ledger's files that `provenance remove` names: by their path as the ledger holds it, or every file under a
-- folder.
-- Params: $paths VARCHAR[] (paths as given, and as absolute paths); $folders VARCHAR[] (folders, each ending in '/').
-- Returns: source_id BIGINT, path VARCHAR, status VARCHAR, n_docs BIGINT; by path.
SELECT source_id, path, status, coalesce(n_docs, 0) AS n_docs
FROM sources
WHERE list_contains($paths, path) OR EXISTS (SELECT 1 FROM unnest($folders) AS t(folder) WHERE starts_with(path, folder))
ORDER BY path;
