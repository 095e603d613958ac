-- Core store: runs, the ingest ledger, documents and their features, errors, metrics.
-- No PRIMARY KEY constraints: DuckDB bulk loads are much faster without ART indexes;
-- `provenance check` verifies uniqueness and referential integrity instead.

CREATE TABLE runs (
    run_id      BIGINT,        -- one per command invocation
    command     VARCHAR,
    version     VARCHAR,
    config      JSON,
    started_at  TIMESTAMP,
    finished_at TIMESTAMP
);

-- The ledger: one row per input file ingested (status 'done') or failed ('failed').
CREATE TABLE sources (
    source_id      BIGINT,
    path           VARCHAR NOT NULL,
    size           BIGINT,
    mtime          DOUBLE,
    sha256         VARCHAR,
    format         VARCHAR,   -- warc | arc | unknown
    compression    VARCHAR,   -- none | gzip-members | gzip-whole
    crawl          VARCHAR,
    status         VARCHAR NOT NULL,  -- done | failed
    n_records      BIGINT,
    n_docs         BIGINT,
    n_sampled_out  BIGINT,
    n_errors       BIGINT,
    record_counts  JSON,      -- records seen per WARC-Type
    skip_counts    JSON,      -- records not stored, per reason
    options        JSON,
    run_id         BIGINT,
    started_at     TIMESTAMP,
    finished_at    TIMESTAMP,
    seconds        DOUBLE
);

CREATE TABLE documents (
    doc_id        BIGINT,     -- (source_id << 32) | ordinal within the source
    source_id     BIGINT NOT NULL,
    record_id     VARCHAR,    -- WARC-Record-ID
    url           VARCHAR,
    host          VARCHAR,
    domain        VARCHAR,    -- registered domain (public suffix list)
    crawl         VARCHAR,
    fetch_time    TIMESTAMP,
    year          SMALLINT,
    lang          VARCHAR,
    lang_score    REAL,
    content_type  VARCHAR,
    record_type   VARCHAR,    -- response | resource | conversion | arc
    n_chars       INTEGER,
    n_tokens      INTEGER,    -- default word tokenizer
    text_hash     UBIGINT,    -- xxh3_64 of the normalized text
    block         BIGINT,     -- resampling block: (source_id << 20) | (ordinal // block_docs)
    record_offset BIGINT      -- byte offset of the record (or its gzip member) in the file; compressed whole: in the decompressed stream
);

CREATE TABLE texts (
    doc_id BIGINT,
    text   VARCHAR
);

-- Token counts aggregated per (crawl, year, lang, block, token): small, mergeable, and enough
-- for every distribution estimator and for block-resampling intervals.
CREATE TABLE token_counts (
    source_id BIGINT,
    crawl     VARCHAR,
    year      SMALLINT,
    lang      VARCHAR,
    block     BIGINT,
    tokenizer VARCHAR,        -- 'word' (default) or the Hugging Face tokenizer's name
    token     VARCHAR,
    count     BIGINT
);

-- MinHash: 128 permutations of word 5-shingles; 128 little-endian uint32 per document.
CREATE TABLE signatures (
    doc_id  BIGINT,
    minhash BLOB
);

-- LSH band keys: 16 bands x 8 rows of the signature, hashed to 64 bits.
CREATE TABLE band_keys (
    doc_id BIGINT,
    band   UTINYINT,
    key    UBIGINT
);

CREATE TABLE ingest_errors (
    source_id  BIGINT,
    path       VARCHAR,
    "offset"   BIGINT,
    record_id  VARCHAR,
    kind       VARCHAR,
    reason     VARCHAR,
    run_id     BIGINT,
    created_at TIMESTAMP
);

CREATE TABLE metrics (
    run_id     BIGINT,
    estimator  VARCHAR,
    metric     VARCHAR,
    period     VARCHAR,
    lang       VARCHAR,
    value      DOUBLE,
    ci_low     DOUBLE,
    ci_high    DOUBLE,
    parameters JSON,
    created_at TIMESTAMP
);
