-- The synthetic shares `provenance synth` wrote, one row per estimate, with what each run measured against read
-- out of its parameters: the references, how rows were grouped, the unit and whether the bias was corrected.
-- `share` is what `value` is a share of: 'documents', or 'sentences' for an uncalibrated sentence-unit run (Liang's
-- raw estimate; so for a run written before `share` was recorded). Runs written before a key existed read as its
-- default (runs with flat `human` / `machine` keys: those). `lang` is the row's language (NULL: all languages); `run_lang` the run's --lang.
CREATE OR REPLACE VIEW synth_shares AS
SELECT run_id, period, lang, value, ci_low, ci_high,
       coalesce(json_extract_string(parameters, '$.references.human'), json_extract_string(parameters, '$.human')) AS human,
       coalesce(json_extract_string(parameters, '$.references.machine'), json_extract_string(parameters, '$.machine')) AS machine,
       coalesce(json_extract_string(parameters, '$.by'), 'year') AS grouped_by,
       json_extract_string(parameters, '$.lang') AS run_lang,
       coalesce(json_extract_string(parameters, '$.unit'), 'document') AS unit,
       lower(coalesce(json_extract_string(parameters, '$.calibrate'), 'true')) NOT IN ('false', '0') AS calibrated,
       coalesce(json_extract_string(parameters, '$.share'),
                CASE WHEN json_extract_string(parameters, '$.unit') = 'sentence'
                      AND lower(json_extract_string(parameters, '$.calibrate')) IN ('false', '0') THEN 'sentences'
                     ELSE 'documents' END) AS share,
       TRY_CAST(json_extract_string(parameters, '$.n_docs') AS BIGINT) AS n_docs,
       parameters, created_at
FROM metrics
WHERE estimator = 'synth' AND metric = 'alpha';
