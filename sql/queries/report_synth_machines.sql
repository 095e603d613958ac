-- The synthetic share against each machine reference (`synth --machine a,b,c` writes a run for each): the
-- newest yearly all-language synth run of each machine reference measured as the report's run $run_id was
-- (the same human reference, unit and calibration: a sentence-unit or uncalibrated estimate differs by method,
-- not by reference), and its estimates, so a report can show how much the share depends on which machines
-- the reference saw.
-- Params: $run_id BIGINT (the report's synth run).
-- Returns: machine VARCHAR, run_id BIGINT, period VARCHAR, value DOUBLE, ci_low DOUBLE, ci_high DOUBLE;
-- newest run first, then by period.
WITH described AS (
    SELECT run_id, period, value, ci_low, ci_high, lang, parameters,
           coalesce(json_extract_string(parameters, '$.references.machine'), json_extract_string(parameters, '$.machine')) AS machine,
           coalesce(json_extract_string(parameters, '$.references.human'), json_extract_string(parameters, '$.human')) AS human,
           coalesce(json_extract_string(parameters, '$.unit'), 'document') AS unit,
           coalesce(json_extract_string(parameters, '$.calibrate'), 'true') AS calibrate
    FROM metrics
    WHERE estimator = 'synth' AND metric = 'alpha'
), own AS (
    SELECT any_value(human) AS human, any_value(unit) AS unit, any_value(calibrate) AS calibrate
    FROM described WHERE run_id = $run_id
), synth_runs AS (
    SELECT d.machine, max(d.run_id) AS run_id
    FROM described d, own o
    WHERE d.lang IS NULL
      AND coalesce(json_extract_string(d.parameters, '$.by'), 'year') = 'year'
      AND json_extract_string(d.parameters, '$.lang') IS NULL
      AND d.human = o.human AND d.unit = o.unit AND d.calibrate = o.calibrate
    GROUP BY d.machine
    HAVING d.machine IS NOT NULL
)
SELECT r.machine, r.run_id, d.period, d.value, d.ci_low, d.ci_high
FROM synth_runs r
JOIN described d ON d.run_id = r.run_id AND d.lang IS NULL
ORDER BY r.run_id DESC, d.period;
