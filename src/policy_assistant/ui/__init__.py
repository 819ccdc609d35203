"""The Gradio page (Chinese): chat with cited answers, the targets ledger and document management."""
