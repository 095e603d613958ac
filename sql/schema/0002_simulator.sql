-- Retrain simulator: one row per run (its parameters), one row per (run, regime, generation, replicate).
-- Generation 0 is the true distribution P0 itself; metrics not defined for a family are NULL.

CREATE TABLE sim_runs (
    run_id               BIGINT,      -- runs.run_id
    family               VARCHAR,     -- categorical | gaussian
    baseline             VARCHAR,     -- period of P0 (a year or a crawl id); NULL for gaussian
    lang                 VARCHAR,
    tokenizer            VARCHAR,
    schedule             VARCHAR,     -- observed | constant | file
    schedule_description VARCHAR,
    regimes              VARCHAR,     -- replace | accumulate | replace,accumulate
    generations          INTEGER,
    tokens               BIGINT,      -- training tokens per generation (n)
    replicates           INTEGER,
    temperature          DOUBLE,
    top_p                DOUBLE,
    seed                 BIGINT,
    years_per_generation DOUBLE,
    start_year           DOUBLE,      -- calendar year of generation 0
    vocabulary           BIGINT,      -- types in P0
    baseline_tokens      BIGINT,      -- tokens behind P0
    tail_types           BIGINT,      -- types in P0's tail
    parameters           JSON,        -- full configuration and the schedule's fitted trend
    seconds              DOUBLE,
    created_at           TIMESTAMP
);

CREATE TABLE sim_generations (
    run_id        BIGINT,
    regime        VARCHAR,            -- replace | accumulate
    generation    INTEGER,            -- 0 = P0
    replicate     INTEGER,
    year          DOUBLE,             -- calendar year the generation's data stands for
    alpha         DOUBLE,             -- synthetic share of the generation's training data (NULL at 0)
    tail_survival DOUBLE,             -- share of P0's tail types with non-zero mass in the model
    jsd           DOUBLE,             -- Jensen-Shannon divergence to P0, bits
    entropy       DOUBLE,             -- model entropy, bits (differential for gaussian)
    kl            DOUBLE,             -- KL(P0 || model) in bits, model smoothed add-0.5 on P0's support
    support       BIGINT,             -- types with non-zero mass in the model
    homozygosity  DOUBLE,             -- sum of squared probabilities
    mean          DOUBLE,             -- gaussian only
    variance      DOUBLE              -- gaussian only
);
