-- Per-year summary of the store: documents, tokens, hosts, domains, languages, sources, errors.
CREATE OR REPLACE VIEW yearly_summary AS
WITH d AS (
    SELECT year,
           count(*)                 AS docs,
           sum(n_tokens)::BIGINT            AS tokens,
           sum(n_chars)::BIGINT             AS chars,
           count(DISTINCT host)     AS hosts,
           count(DISTINCT domain)   AS domains,
           count(DISTINCT lang)     AS languages,
           mode(lang)               AS top_lang,
           count(DISTINCT source_id) AS sources,
           string_agg(DISTINCT crawl, ', ' ORDER BY crawl) AS crawls
    FROM documents GROUP BY year
), src_year AS (
    SELECT s.source_id, (SELECT min(year) FROM documents x WHERE x.source_id = s.source_id) AS year
    FROM sources s
), e AS (
    SELECT sy.year, count(*) AS errors
    FROM ingest_errors ie JOIN src_year sy USING (source_id)
    GROUP BY sy.year
)
SELECT coalesce(d.year, e.year) AS year,
       coalesce(d.docs, 0) AS docs, coalesce(d.tokens, 0) AS tokens, coalesce(d.chars, 0) AS chars,
       coalesce(d.hosts, 0) AS hosts, coalesce(d.domains, 0) AS domains,
       coalesce(d.languages, 0) AS languages, d.top_lang, coalesce(d.sources, 0) AS sources,
       d.crawls, coalesce(e.errors, 0) AS errors
FROM d FULL OUTER JOIN e ON d.year IS NOT DISTINCT FROM e.year
ORDER BY year NULLS LAST;
