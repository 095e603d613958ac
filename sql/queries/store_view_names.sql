-- The names of the views and macros the store defines (sql/views/ makes both), for a read-only open to define
-- those an older provenance did not make.
-- Returns: name VARCHAR.
SELECT view_name AS name FROM duckdb_views() WHERE NOT internal
UNION
SELECT function_name FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') AND NOT internal;
