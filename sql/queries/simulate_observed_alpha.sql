-- Observed synthetic shares written by `provenance synth`: the latest estimate per period, against one
-- machine reference: $machine, or that of the newest synth run of the grouping below (`synth --machine a,b,c`
-- writes a run per reference, and a share against one says nothing of another's; per period they were mixed).
-- A row for the requested language wins over an all-language (NULL lang) row of the same period.
-- One grouping only: the yearly rows when any exist, else those of the latest run's grouping (synth --by
-- crawl beside synth --by year gave the same documents twice, and crawl 'unknown' has no calendar year).
-- Params: $lang VARCHAR or NULL (all-language rows, or any when none exist); $machine VARCHAR or NULL.
-- Returns: period VARCHAR, value DOUBLE, ci_low DOUBLE, ci_high DOUBLE, parameters JSON, machine VARCHAR; by period.
WITH all_shares AS (
    SELECT period, value, ci_low, ci_high, parameters, lang, run_id, created_at,
           coalesce(json_extract_string(parameters, '$.by'), 'year') AS grouping,
           coalesce(json_extract_string(parameters, '$.references.machine'), json_extract_string(parameters, '$.machine')) AS machine
    FROM metrics
    WHERE estimator = 'synth' AND metric = 'alpha' AND value IS NOT NULL
      AND ($lang IS NULL OR lang IS NULL OR lang = $lang)
), chosen AS (  -- the grouping first (of $machine's rows when given), then the newest run's reference within it
    SELECT CASE WHEN bool_or(grouping = 'year') THEN 'year' ELSE arg_max(grouping, run_id) END AS grouping
    FROM all_shares
    WHERE $machine IS NULL OR machine = $machine
), grouped AS (
    SELECT * FROM all_shares WHERE grouping = (SELECT grouping FROM chosen)
), shares AS (
    SELECT * FROM grouped
    WHERE machine IS NOT DISTINCT FROM coalesce($machine, (SELECT machine FROM grouped ORDER BY run_id DESC LIMIT 1))
)
SELECT period, value, ci_low, ci_high, parameters, machine
FROM shares
QUALIFY row_number() OVER (
    PARTITION BY period
    ORDER BY (lang IS NOT DISTINCT FROM $lang) DESC, run_id DESC, created_at DESC
) = 1
ORDER BY period
