-- Store one dups run's clusters from the client-registered relation _dup_cluster_rows
-- (run_id, doc_id, cluster_id): members of clusters of two or more documents only.
-- Params: none. Returns: nothing.
INSERT INTO dup_clusters (run_id, doc_id, cluster_id)
SELECT run_id, doc_id, cluster_id FROM _dup_cluster_rows;
