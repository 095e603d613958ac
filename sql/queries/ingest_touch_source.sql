-- A file read again and found the same content as its ledger row (its time changed, not its bytes): record its
-- size and time, so the next run knows it unchanged without reading it. Another path's copy of the content matches no row.
-- Params: $path VARCHAR, $sha256 VARCHAR, $size BIGINT, $mtime DOUBLE.
UPDATE sources SET size = $size, mtime = $mtime WHERE path = $path AND sha256 = $sha256 AND status = 'done';
