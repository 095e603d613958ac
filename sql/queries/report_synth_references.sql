-- The newest stored reference corpus of each label (human, machine), for a report's synth run.
-- Returns: label VARCHAR, name VARCHAR; by label.
SELECT label, arg_max(name, created_at) AS name
FROM synth_references
GROUP BY label
ORDER BY label;
