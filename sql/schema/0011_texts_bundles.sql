-- Small texts files are merged into bundles: <store>.texts/bundle-<first>-<last>-<token>.parquet holds
-- the texts of many sources (each sorted by doc_id, in source order). `texts_bundles` names the bundle
-- that holds a source's texts; a source without a row here keeps its own source-<source_id>.parquet.
-- Why: a store of sampled files (--sample-rate over every WET file of a few crawls: 90,000 files a
-- crawl) had a texts file per source, and every query of `texts` opened each one (~0.1 ms a file:
-- 2 s at 20,000 sources). The view reads a row only from its source's file as named here
-- (sql/views/texts_files.sql), so a bundle written but not yet recorded, or a source file already
-- bundled, is never read twice (see provenance/textfiles.py, compact).
CREATE TABLE texts_bundles (
    source_id BIGINT NOT NULL,
    file VARCHAR NOT NULL
);
