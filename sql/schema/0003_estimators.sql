-- Estimator outputs beyond the metrics table: near-duplicate clusters per dups run.
-- Only documents in clusters of two or more are stored; every other document is its own cluster.
CREATE TABLE dup_clusters (
    run_id     BIGINT,   -- the dups run (runs.run_id)
    doc_id     BIGINT,   -- documents.doc_id
    cluster_id BIGINT    -- the smallest doc_id in the cluster
);
