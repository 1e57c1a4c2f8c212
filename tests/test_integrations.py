"""fastpool.integrations: LangChain and chonkie adapters, against the real packages.

Each test skips when its framework is missing (they are in the ``test`` extra).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from model_factory import make_model_folder

import fastpool

TEXTS = ["hello world", "The quick brown fox jumps over the lazy dog.", ""]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_model_folder(tmp_path, normalize=True)


def test_importing_fastpool_imports_no_framework() -> None:
    code = (
        "import sys, fastpool\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('langchain_core', 'langchain_community', 'chonkie', 'model2vec', 'semhash', "
        "'sentence_transformers', 'torch') or m.startswith('fastpool.integrations')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_langchain(folder: Path) -> None:
    pytest.importorskip("langchain_core")
    from langchain_core.embeddings import Embeddings

    from fastpool.integrations.langchain import FastpoolEmbeddings

    embeddings = FastpoolEmbeddings(folder)
    assert isinstance(embeddings, Embeddings)
    model = fastpool.load(folder)
    documents = embeddings.embed_documents(TEXTS)
    assert isinstance(documents, list) and all(isinstance(v, list) for v in documents)
    assert isinstance(documents[0][0], float)
    np.testing.assert_allclose(documents, model.encode(TEXTS), atol=1e-7, rtol=0)
    np.testing.assert_allclose(
        embeddings.embed_query("hello world"), model.encode("hello world"), atol=1e-7, rtol=0
    )
    # Options: a loaded model, encode arguments, a query prompt.
    queries = FastpoolEmbeddings(
        model, encode_kwargs={"normalize": False}, query_encode_kwargs={"prompt": "query: "}
    )
    np.testing.assert_allclose(
        queries.embed_documents(TEXTS), model.encode(TEXTS, normalize=False), atol=1e-7
    )
    np.testing.assert_allclose(
        queries.embed_query("x"), model.encode("query: x"), atol=1e-7, rtol=0
    )
    with pytest.raises(TypeError, match="only when model is a path"):
        FastpoolEmbeddings(model, normalize=True)


def test_langchain_async_and_vector_store(folder: Path) -> None:
    pytest.importorskip("langchain_core")
    import asyncio

    from langchain_core.vectorstores import InMemoryVectorStore

    from fastpool.integrations.langchain import FastpoolEmbeddings

    embeddings = FastpoolEmbeddings(folder)
    vector = asyncio.run(embeddings.aembed_query("hello world"))
    np.testing.assert_allclose(vector, embeddings.embed_query("hello world"), atol=1e-7)
    store = InMemoryVectorStore.from_texts(
        ["the quick brown fox", "tokenizers split text", "numbers like 42"], embeddings
    )
    assert store.similarity_search("quick brown fox", k=1)[0].page_content == (
        "the quick brown fox"
    )


def test_chonkie(folder: Path) -> None:
    pytest.importorskip("chonkie")
    from chonkie import SemanticChunker
    from chonkie.embeddings import BaseEmbeddings

    from fastpool.integrations.chonkie import FastpoolEmbeddings

    embeddings = FastpoolEmbeddings(folder)
    assert isinstance(embeddings, BaseEmbeddings)
    model = fastpool.load(folder)
    assert embeddings.dimension == model.dim == 16
    np.testing.assert_array_equal(embeddings.embed("hello world"), model.encode("hello world"))
    batch = embeddings.embed_batch(TEXTS)
    assert isinstance(batch, list) and len(batch) == 3
    np.testing.assert_array_equal(np.asarray(batch), model.encode(TEXTS))
    u, v = batch[0], batch[1]
    expected = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
    assert embeddings.similarity(u, v) == pytest.approx(expected, abs=1e-6)
    assert embeddings.similarity(u, np.zeros_like(u)) == 0
    tokenizer = embeddings.get_tokenizer()
    assert tokenizer.encode("hello world").ids
    chunker = SemanticChunker(embedding_model=embeddings, chunk_size=32, threshold=0.5)
    text = " ".join(
        [
            "The quick brown fox jumps over the lazy dog.",
            "Tokenizers split text into words and subword pieces.",
            "Mean pooling divides the sum of vectors by the number of tokens.",
        ]
        * 3
    )
    chunks = chunker.chunk(text)
    assert len(chunks) > 1 and "".join(chunk.text for chunk in chunks) == text
    assert "FastpoolEmbeddings" in repr(embeddings)
