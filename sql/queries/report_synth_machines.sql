-- The synthetic share against each machine reference (`synth --machine a,b,c` writes a run for each): the
-- newest yearly all-language synth run of each machine reference measured as the report's run $run_id was
-- (the same human reference, unit and calibration: a sentence-unit or uncalibrated estimate differs by method,
-- not by reference), and made since the store's documents last changed (view data_version), and its estimates, so a
-- report can show how much the share depends on which machines the reference saw.
-- Params: $run_id BIGINT (the report's synth run).
-- `stale`: the run was made before one of its references was made again (view synth_stale_references; all its
-- earlier runs were too): the report does not compare it, and says so.
-- Returns: machine VARCHAR, run_id BIGINT, period VARCHAR, value DOUBLE, ci_low DOUBLE, ci_high DOUBLE, stale BOOLEAN;
-- newest run first, then by period.
WITH own AS (
    SELECT any_value(human) AS human, any_value(unit) AS unit, any_value(calibrated) AS calibrated
    FROM synth_shares WHERE run_id = $run_id
), synth_runs AS (
    SELECT d.machine, max(d.run_id) AS run_id
    FROM synth_shares d, own o
    WHERE d.lang IS NULL AND d.grouped_by = 'year' AND d.run_lang IS NULL AND d.run_id NOT IN (SELECT run_id FROM stale_runs)
      AND d.human = o.human AND d.unit = o.unit AND d.calibrated = o.calibrated
    GROUP BY d.machine
    HAVING d.machine IS NOT NULL
)
SELECT r.machine, r.run_id, d.period, d.value, d.ci_low, d.ci_high,
       r.run_id IN (SELECT run_id FROM synth_stale_references) AS stale
FROM synth_runs r
JOIN synth_shares d ON d.run_id = r.run_id AND d.lang IS NULL
ORDER BY r.run_id DESC, d.period;
