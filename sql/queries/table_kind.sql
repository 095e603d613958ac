-- Whether a table of the main schema is a TABLE (BASE TABLE) or a VIEW; no row when absent.
-- Params: $name VARCHAR.
-- Returns: table_type VARCHAR.
SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $name;
