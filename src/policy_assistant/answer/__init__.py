"""Answers: question analysis, follow-ups, extractive composition from ledgers and clauses, optional LLM."""
