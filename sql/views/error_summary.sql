-- Ingest faults per file and kind.
CREATE OR REPLACE VIEW error_summary AS
SELECT path, kind, count(*) AS errors, min("offset") AS first_offset, any_value(reason) AS example
FROM ingest_errors
GROUP BY path, kind
ORDER BY path, kind;
