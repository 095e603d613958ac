-- Synthetic-share runs made before one of their references was made again (`reference add NAME --replace`): their
-- estimates are of the old texts under that name (a joint run's, `synth --machine a+b`, of any of its families).
-- The report neither leads with nor compares such a run, and estimates again when its newest run is one.
CREATE OR REPLACE VIEW synth_stale_references AS
SELECT DISTINCT s.run_id
FROM synth_shares s, synth_references r
WHERE r.run_id > s.run_id
  AND (r.name IN (s.human, s.machine)
       OR list_contains(coalesce(json_extract_string(s.parameters, '$.references.machines[*]'), []), r.name));
