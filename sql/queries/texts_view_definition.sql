-- The DDL of the store's own `texts` view (not a read-only open's temporary one), if any: which folder it reads
-- (provenance/textfiles.py, view_reads). Params: none.  Returns: sql VARCHAR.
SELECT sql FROM duckdb_views() WHERE view_name = 'texts' AND NOT temporary;
