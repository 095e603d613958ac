-- What a DuckDB file holds, by name: tables, views, sequences and macros of its own (not DuckDB's internal ones).
-- Opening a store reads it to refuse a file that is some other database (store.py, _refuse_foreign).
-- Returns: name VARCHAR.
SELECT table_name AS name FROM duckdb_tables() WHERE database_name = current_database()
UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
UNION ALL SELECT sequence_name FROM duckdb_sequences() WHERE database_name = current_database()
UNION ALL SELECT function_name FROM duckdb_functions() WHERE database_name = current_database() AND NOT internal
ORDER BY 1;
