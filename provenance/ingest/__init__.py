"""Ingest: read WARC/WET/ARC records, extract text, compute features, write the store."""
