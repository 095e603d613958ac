-- Observed synthetic shares written by `provenance synth`, as one pair of references measured them: the
-- latest estimate per period among the runs of the lead run's human and machine references, grouping and
-- method (unit and calibration)
-- (`synth --machine a,b,c` writes a run per machine reference, and a share against one says nothing of
-- another's: per period they were mixed). The lead run is the newest with $machine (any when NULL) of the
-- yearly runs when any exist, else of any grouping (synth --by crawl beside synth --by year gave the same
-- documents twice, and crawl 'unknown' has no calendar year), preferring shares of documents (not an
-- uncalibrated sentence-unit run's share of sentences), then runs with rows of language $lang (NULL:
-- all-language runs).
-- A row for the requested language wins over an all-language (NULL lang) row of the same period.
-- Params: $lang VARCHAR or NULL (all-language rows, or any when none exist); $machine VARCHAR or NULL; $run_id
-- BIGINT or NULL (the lead run itself: the report's synth run, so its projection follows the shares it shows).
-- Returns: period VARCHAR, value DOUBLE, ci_low DOUBLE, ci_high DOUBLE, parameters JSON, machine VARCHAR,
-- lead_run BIGINT, lang VARCHAR (the row's: NULL for an all-language estimate); by period.
WITH all_shares AS (
    SELECT period, value, ci_low, ci_high, parameters, lang, run_id, created_at, grouped_by, machine, human, unit,
           calibrated, share = 'documents' AS of_documents
    FROM synth_shares
    WHERE value IS NOT NULL AND ($lang IS NULL OR lang IS NULL OR lang = $lang)
), lead AS (
    SELECT run_id, grouped_by, machine, human, unit, calibrated
    FROM all_shares
    WHERE ($machine IS NULL OR machine = $machine) AND ($run_id IS NULL OR run_id = $run_id)
    ORDER BY (grouped_by = 'year') DESC, of_documents DESC, (lang IS NOT DISTINCT FROM $lang) DESC, run_id DESC
    LIMIT 1
)
SELECT s.period, s.value, s.ci_low, s.ci_high, s.parameters, s.machine, l.run_id AS lead_run, s.lang
FROM all_shares s, lead l
WHERE s.grouped_by = l.grouped_by AND s.machine IS NOT DISTINCT FROM l.machine AND s.human IS NOT DISTINCT FROM l.human
  AND s.unit = l.unit AND s.calibrated = l.calibrated
QUALIFY row_number() OVER (
    PARTITION BY s.period
    ORDER BY (s.lang IS NOT DISTINCT FROM $lang) DESC, s.run_id DESC, s.created_at DESC
) = 1
ORDER BY s.period
