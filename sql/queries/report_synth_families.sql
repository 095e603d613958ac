-- A joint synthetic-share run's family parts (`synth --machine a+b`: each machine family's share of documents, with
-- its interval, in the row's parameters), per period of the run's all-language rows.
-- Params: $run_id BIGINT.
-- Returns: period VARCHAR, families VARCHAR (JSON: {name: {share, ci_low, ci_high}}); by period. No row: not a joint run.
SELECT period, json_extract(parameters, '$.families')::VARCHAR AS families
FROM synth_shares
WHERE run_id = $run_id AND lang IS NULL AND json_extract(parameters, '$.families') IS NOT NULL
ORDER BY period;
