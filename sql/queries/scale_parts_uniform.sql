-- Whether every Parquet part of a table (attach's empty placeholder too: it may be the file a view binds on) holds
-- each column its view reads, with one and the same type: its view can then read the parts by one file's schema, not
-- by every file's (union_by_name reads each file's footer whenever a query that reads the view is planned: 90,000
-- footers a query for a crawl).
-- Params: $glob VARCHAR (the parts), $names VARCHAR[] (the columns the view reads).
SELECT count(*) = 0 OR (count(DISTINCT signature) = 1 AND bool_and(n = len($names)))
FROM (
    SELECT file_name, count(*) FILTER (WHERE name IN (SELECT unnest($names))) AS n,
           string_agg(name || ' ' || coalesce(duckdb_type, type), ', ' ORDER BY name) FILTER (WHERE name IN (SELECT unnest($names))) AS signature
    FROM parquet_schema($glob)  -- (a row per file for its schema's root: a file without any of the columns counts too)
    GROUP BY file_name
);
