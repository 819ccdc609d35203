"""Ingestion: load files, normalise text, find the outline, cut chunks."""
