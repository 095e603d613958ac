-- A reference's documents with their cross-fitting folds, in reading order.
-- Params: $reference VARCHAR.
-- Returns: doc_no BIGINT, fold INTEGER, text VARCHAR.
SELECT doc_no, fold, text FROM synth_reference_docs WHERE name = $reference ORDER BY doc_no
