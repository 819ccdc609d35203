"""Evaluation: run hand-written questions through the service, score answers and retrieval, report."""
