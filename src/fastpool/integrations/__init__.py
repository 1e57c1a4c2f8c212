"""Adapters for frameworks with a plugin protocol. Each submodule imports its framework;
``import fastpool`` imports none of them.

* :mod:`fastpool.integrations.langchain`: ``FastpoolEmbeddings`` (LangChain ``Embeddings``).
* :mod:`fastpool.integrations.chonkie`: ``FastpoolEmbeddings`` (chonkie ``BaseEmbeddings``).
"""
