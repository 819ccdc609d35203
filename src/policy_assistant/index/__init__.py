"""Indexes: lexical (jieba + bm25s), dense (FAISS), and the versioned on-disk snapshot."""
