-- Most frequent tokens per year (default word tokenizer), with their share of the year's tokens.
CREATE OR REPLACE VIEW top_tokens AS
WITH t AS (
    SELECT year, token, sum(count)::BIGINT AS count
    FROM token_counts WHERE tokenizer = 'word'
    GROUP BY year, token
), r AS (
    SELECT year, token, count,
           count / sum(count) OVER (PARTITION BY year) AS share,
           row_number() OVER (PARTITION BY year ORDER BY count DESC, token) AS rank
    FROM t
)
SELECT year, rank, token, count, share FROM r WHERE rank <= 100 ORDER BY year, rank;
