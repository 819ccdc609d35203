"""Retrieval: hybrid (lexical + dense) search with score fusion, and a LangChain retriever."""
