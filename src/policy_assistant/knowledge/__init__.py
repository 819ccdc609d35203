"""Structured knowledge extracted at ingest: the targets ledger and the owners ledger."""
