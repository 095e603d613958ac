-- Record one input file in the ledger.
-- Params: one per column of sources.
INSERT INTO sources VALUES ($source_id, $path, $size, $mtime, $sha256, $format, $compression, $crawl, $status,
    $n_records, $n_docs, $n_sampled_out, $n_errors, $record_counts, $skip_counts, $options, $run_id,
    $started_at, $finished_at, $seconds);
