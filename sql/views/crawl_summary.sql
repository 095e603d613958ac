-- Per-crawl summary: documents, tokens, hosts, languages, years covered.
CREATE OR REPLACE VIEW crawl_summary AS
SELECT crawl,
       count(*) AS docs,
       sum(n_tokens)::BIGINT AS tokens,
       count(DISTINCT host) AS hosts,
       count(DISTINCT lang) AS languages,
       min(year) AS first_year,
       max(year) AS last_year
FROM documents
GROUP BY crawl
ORDER BY crawl;
