-- The --sample-rate each year's documents were ingested at (1.0: all), where the store's years differ in it: a
-- sampled year's duplicate rates count copies within the sample only, and it sets a smaller token budget for all.
-- Returns: period VARCHAR, rates VARCHAR (its files' rates, ', '-joined); by year. No rows when all years share one.
WITH rates AS (
    SELECT DISTINCT d.year, coalesce(TRY_CAST(s.options ->> '$.sample_rate' AS DOUBLE), 1.0) AS rate
    FROM (SELECT DISTINCT source_id, year FROM documents WHERE year IS NOT NULL) d
    JOIN sources s USING (source_id)
), per_year AS (
    SELECT year, string_agg(CAST(rate AS VARCHAR), ', ' ORDER BY rate) AS rates FROM rates GROUP BY year
)
SELECT CAST(year AS VARCHAR) AS period, rates
FROM per_year
WHERE (SELECT count(DISTINCT rate) FROM rates) > 1
ORDER BY year;
