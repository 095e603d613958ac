-- The names of the views the store defines, for a read-only open to define those an older provenance did not make.
-- Returns: name VARCHAR.
SELECT view_name AS name FROM duckdb_views() WHERE NOT internal;
