"""The HTTP edge: REST API, OpenAI-compatible chat, the Gradio page and WeCom callbacks in one FastAPI app."""
