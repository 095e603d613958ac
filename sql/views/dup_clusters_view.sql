-- Near-duplicate clusters of the latest dups run, with each member's URL, period and language;
-- largest clusters first, members in fetch order.
CREATE OR REPLACE VIEW dup_clusters_view AS
WITH latest AS (SELECT max(run_id) AS run_id FROM dup_clusters),
c AS (
    SELECT dc.run_id, dc.cluster_id, dc.doc_id,
           count(*) OVER (PARTITION BY dc.cluster_id) AS cluster_size
    FROM dup_clusters dc JOIN latest USING (run_id)
)
SELECT c.run_id, c.cluster_id, c.cluster_size, d.doc_id, d.year, d.crawl, d.lang, d.fetch_time, d.url
FROM c JOIN documents d USING (doc_id)
ORDER BY c.cluster_size DESC, c.cluster_id, d.fetch_time, d.doc_id;
