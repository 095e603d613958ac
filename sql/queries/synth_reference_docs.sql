-- A reference's documents with their cross-fitting folds, in reading order.
-- Params: $reference VARCHAR.
-- Returns: doc_no BIGINT, fold INTEGER, text VARCHAR, doc_id BIGINT (the store's document, for a reference taken from it).
SELECT doc_no, fold, text, doc_id FROM synth_reference_docs WHERE name = $reference ORDER BY doc_no
