-- One reference corpus by name.
-- Params: $reference VARCHAR.
-- Returns: name, label, n_docs, n_sentences, n_words, vocabulary, folds, source, created_at (0 or 1 row).
SELECT name, label, n_docs, n_sentences, n_words, vocabulary, folds, source, created_at
FROM synth_references WHERE name = $reference
