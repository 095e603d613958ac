-- The shard folder this store reads (after `provenance attach`), if any: such a store takes no local ingest.
-- Returns: path VARCHAR.
SELECT path FROM attachments ORDER BY attached_at DESC LIMIT 1;
