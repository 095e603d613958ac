-- What a report estimates the synthetic share against when the share it would show was made before the store's
-- documents changed: the references of the newest yearly all-language share of documents (its human reference, unit
-- and calibration) with each machine reference such estimates were made against (`synth --machine a,b,c`; a joint `a+b`) that is
-- still stored, the lead's machine reference last (the newest run leads the report).
-- Returns: human VARCHAR, machine VARCHAR, unit VARCHAR, calibrated BOOLEAN; the lead's last. No row: none such.
WITH yearly AS (
    SELECT * FROM synth_shares WHERE grouped_by = 'year' AND run_lang IS NULL AND lang IS NULL
), lead AS (
    SELECT human, unit, calibrated FROM yearly WHERE share = 'documents' ORDER BY run_id DESC LIMIT 1
), machines AS (
    SELECT y.machine, max(y.run_id) AS last
    FROM yearly y, lead l
    WHERE y.human = l.human AND y.unit = l.unit AND y.calibrated = l.calibrated
      -- each machine reference still stored (of a joint estimate, `a+b`, each of its families)
      AND NOT EXISTS (SELECT 1 FROM unnest(string_split(y.machine, '+')) AS f(name)
                      WHERE f.name NOT IN (SELECT name FROM synth_references WHERE label = 'machine'))
      AND l.human IN (SELECT name FROM synth_references WHERE label = 'human')
    GROUP BY y.machine
)
SELECT l.human, m.machine, l.unit, l.calibrated
FROM machines m, lead l
ORDER BY m.last;
