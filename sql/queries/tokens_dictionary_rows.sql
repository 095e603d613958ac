-- Rows in the merged token dictionary and pending its merge (both from table metadata: no scan).
-- Params: none. Returns: merged BIGINT, pending BIGINT.
SELECT (SELECT count(*) FROM token_dict) AS merged, (SELECT count(*) FROM tokens_pending) AS pending;
