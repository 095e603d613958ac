-- Whether `texts` is a TABLE (a store older than layout 0008) or a VIEW; no row when absent.
-- Returns: table_type VARCHAR.
SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'texts';
