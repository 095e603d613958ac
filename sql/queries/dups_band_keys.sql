-- Stored LSH band keys of the documents in scope, by band then doc_id (the sort-based grouping
-- of the dups estimator groups each band's keys in numpy).
-- Params: $lang (VARCHAR or NULL).
-- Columns: doc_id BIGINT, band UTINYINT, key UBIGINT.
SELECT b.doc_id, b.band, b.key
FROM band_keys b
WHERE $lang IS NULL OR b.doc_id IN (SELECT doc_id FROM documents WHERE lang = $lang)
ORDER BY b.band, b.doc_id;
