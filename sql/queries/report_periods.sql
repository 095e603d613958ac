-- Per-year rows of the yearly report (view yearly_summary): documents, tokens and crawls, the year as
-- a period string; years without documents are left out.
-- Returns: period VARCHAR, documents BIGINT, tokens BIGINT, crawls VARCHAR; by year.
SELECT CAST(year AS VARCHAR) AS period, docs AS documents, tokens, crawls
FROM yearly_summary
WHERE year IS NOT NULL AND docs > 0
ORDER BY year;
