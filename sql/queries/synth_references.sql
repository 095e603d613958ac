-- All reference corpora, by name.
-- Params: none.
-- Returns: name, label, n_docs, n_sentences, n_words, vocabulary, folds, source, created_at.
SELECT name, label, n_docs, n_sentences, n_words, vocabulary, folds, source, created_at
FROM synth_references ORDER BY name
