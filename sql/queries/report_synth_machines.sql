-- The synthetic share against each machine reference (`synth --machine a,b,c` writes a run for each): the
-- newest yearly all-language synth run of each machine reference measured with the human reference $human
-- and the method of the report's run (its unit and calibration: a sentence-unit or uncalibrated estimate
-- differs by method, not by reference), and its estimates, so a report can show how much the share depends
-- on which machines the reference saw.
-- Params: $human VARCHAR (the human reference of the report's synth run), $unit VARCHAR ('document' or
-- 'sentence'), $calibrate VARCHAR ('true' or 'false'), as the report's run.
-- Returns: machine VARCHAR, run_id BIGINT, period VARCHAR, value DOUBLE, ci_low DOUBLE, ci_high DOUBLE;
-- newest run first, then by period.
WITH synth_runs AS (
    SELECT coalesce(json_extract_string(parameters, '$.references.machine'), json_extract_string(parameters, '$.machine')) AS machine,
           max(run_id) AS run_id
    FROM metrics
    WHERE estimator = 'synth' AND metric = 'alpha' AND lang IS NULL
      AND coalesce(json_extract_string(parameters, '$.by'), 'year') = 'year'
      AND json_extract_string(parameters, '$.lang') IS NULL
      AND coalesce(json_extract_string(parameters, '$.references.human'), json_extract_string(parameters, '$.human')) = $human
      AND coalesce(json_extract_string(parameters, '$.unit'), 'document') = $unit
      AND coalesce(json_extract_string(parameters, '$.calibrate'), 'true') = $calibrate
    GROUP BY machine
    HAVING machine IS NOT NULL
)
SELECT r.machine, r.run_id, m.period, m.value, m.ci_low, m.ci_high
FROM synth_runs r
JOIN metrics m ON m.run_id = r.run_id AND m.estimator = 'synth' AND m.metric = 'alpha' AND m.lang IS NULL
ORDER BY r.run_id DESC, m.period;
