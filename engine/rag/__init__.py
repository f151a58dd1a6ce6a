"""Retrieval: embedders, document chunks and FAISS indexes over a workspace's pairs and docs.

``embed`` loads a sentence-transformers model once (the embedded all-MiniLM-L6-v2 by default),
``chunk`` splits Markdown and text documents, ``index`` builds, extends, saves and queries a
vector index under ``indexes/<name>/``, ``contract`` is the retriever plugin contract and
``workspace_index`` gathers a workspace's accepted train pairs and documents into one.

faiss, numpy and sentence-transformers are imported inside functions, never at import time.
"""
