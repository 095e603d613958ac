-- The baseline of the newest drift run grouped by year over all languages in $tokenizer's counts (the report's
-- default baseline).
-- Params: $tokenizer VARCHAR ('word': the default word tokenizer).
-- Returns: baseline VARCHAR (no row when there is no such run).
SELECT config->>'baseline' AS baseline
FROM runs
WHERE command = 'drift' AND coalesce(config->>'by', 'year') = 'year' AND config->>'lang' IS NULL
  AND coalesce(config->>'tokenizer', 'word') = $tokenizer
ORDER BY run_id DESC
LIMIT 1;
