-- Record one reference corpus.
-- Params: every synth_references column except created_at, by name ($reference is the name;
--         $options is a JSON string).
-- Returns: nothing.
INSERT INTO synth_references VALUES (
    $reference, $label, $n_docs, $n_sentences, $n_words, $vocabulary, $folds, $source, $options::JSON, $run_id,
    now()::TIMESTAMP
)
