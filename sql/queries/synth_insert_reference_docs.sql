-- Store a reference's documents from the client-registered relation _synth_docs
-- (columns doc_no BIGINT, fold INTEGER, doc_id BIGINT, text VARCHAR).
-- Params: $reference VARCHAR. Returns: nothing.
INSERT INTO synth_reference_docs (name, doc_no, fold, doc_id, text)
SELECT $reference, doc_no, fold, doc_id, text FROM _synth_docs
