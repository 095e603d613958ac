-- Synthetic share (issue 4): reference corpora of human and machine text, their documents (with the
-- cross-fitting fold of each) and their word-occurrence statistics.

CREATE TABLE synth_references (
    name        VARCHAR,       -- unique reference name
    label       VARCHAR,       -- human | machine
    n_docs      BIGINT,
    n_sentences BIGINT,
    n_words     BIGINT,        -- word tokens
    vocabulary  BIGINT,        -- distinct words
    folds       INTEGER,       -- cross-fitting folds of its documents
    source      VARCHAR,       -- files, 'store:<by>=<period>' or 'generate:<model>'
    options     JSON,
    run_id      BIGINT,
    created_at  TIMESTAMP
);

CREATE TABLE synth_reference_docs (
    name   VARCHAR,
    doc_no BIGINT,             -- 0..n_docs-1 in reading order
    fold   INTEGER,            -- 0..folds-1, a seeded random balanced assignment
    doc_id BIGINT,             -- documents.doc_id when taken from the store, else NULL
    text   VARCHAR
);

-- Occurrence statistics: in how many units (sentences, or whole documents) each word occurs.
CREATE TABLE synth_reference_stats (
    name    VARCHAR,
    unit    VARCHAR,           -- sentence | document
    word    VARCHAR,
    n_units BIGINT
);
