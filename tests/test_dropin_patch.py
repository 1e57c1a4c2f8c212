"""The patched ``model2vec.StaticModel``, as third-party code sees it.

Third-party code runs unchanged: BERTopic (its light install: scikit-learn PCA
and KMeans in place of UMAP and HDBSCAN), embetter (a scikit-learn pipeline,
fitted, ``joblib.dump``-ed and loaded in a fresh process) and vicinity, on the
bundled model (a real distillation of all-MiniLM-L6-v2) and real text (Python's
own docstrings). Each skips when its package is missing (all are in the
``test`` extra). LangChain, chonkie and semhash are in ``test_dropin.py``.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import model2vec
import numpy as np
import pytest

from fastpool._api import default_model_path
from fastpool.patch import patch_model2vec, unpatch_model2vec

ORIGINAL = model2vec.StaticModel
FOLDER = default_model_path()


def docstring_sentences() -> list[str]:
    """Real English sentences: the docstrings of a few standard-library modules."""
    out: list[str] = []
    for module in (os, re, json, collections, itertools, functools, pickle, subprocess):
        for name in sorted(vars(module)):
            doc = getattr(getattr(module, name), "__doc__", None)
            if isinstance(doc, str) and not name.startswith("_"):
                out.extend(s.strip() for s in re.split(r"(?<=\.)\s+", " ".join(doc.split())))
    return sorted({s for s in out if 20 < len(s) < 300})


DOCS = docstring_sentences()


@pytest.fixture
def patched() -> Iterator[type]:
    cls = patch_model2vec()
    try:
        yield cls
    finally:
        unpatch_model2vec()


def test_the_patched_class_looks_like_model2vecs(patched: type) -> None:
    model: Any = model2vec.StaticModel.from_pretrained(FOLDER)
    assert str(type(model)) == "<class 'model2vec.model.StaticModel'>" == str(ORIGINAL)
    assert type(model).__module__ == "model2vec.model" and isinstance(model, ORIGINAL)
    assert type(model) is patched is model2vec.model.StaticModel


@pytest.mark.parametrize("how", ["folder", "arrays"])
def test_pickle_and_joblib_round_trip(patched: type, how: str, tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    model: Any = model2vec.StaticModel.from_pretrained(FOLDER)
    if how == "arrays":
        model = model2vec.StaticModel(np.asarray(model.embedding), model.tokenizer, normalize=True)
    expected = model.encode(DOCS[:50])
    again: Any = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.encode(DOCS[:50]), expected)
    assert type(again) is patched
    joblib.dump(model, tmp_path / "model.joblib")
    loaded: Any = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.encode(DOCS[:50]), expected)
    # A fresh process that never patched model2vec loads it back as the same subclass.
    code = (
        "import sys, joblib, numpy as np, model2vec\n"
        "model = joblib.load(sys.argv[1])\n"
        "assert str(type(model)) == \"<class 'model2vec.model.StaticModel'>\"\n"
        "assert isinstance(model, model2vec.StaticModel) and hasattr(model, 'fastpool_model')\n"
        "assert model2vec.StaticModel.__mro__[1] is object  # not patched there\n"
        "np.save(sys.argv[2], model.encode(sys.argv[3:]))\n"
    )
    out = tmp_path / "v.npy"
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "model.joblib"), str(out),
                    *DOCS[:50]], check=True)  # fmt: skip
    np.testing.assert_array_equal(np.load(out), expected)


def test_unpickling_first_then_patching(tmp_path: Path) -> None:
    """A model unpickled before any patch, then a patch: one class, the original kept."""
    code = (
        "import pickle, sys, model2vec, fastpool\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "model = pickle.loads(data)\n"
        "kept = [model2vec.StaticModel]  # in a list: the patch rebinds module globals\n"
        "cls = fastpool.patch_model2vec()\n"
        "assert type(model) is cls and cls.__mro__[1] is kept[0]\n"
        "fastpool.patch.unpatch_model2vec()\n"
        "assert model2vec.StaticModel is kept[0]\n"
    )
    cls: Any = patch_model2vec()
    try:
        data = pickle.dumps(cls.from_pretrained(FOLDER))
    finally:
        unpatch_model2vec()
    (tmp_path / "m.pkl").write_bytes(data)
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.pkl")], check=True)


def test_bertopic_takes_its_model2vec_path(patched: type) -> None:
    pytest.importorskip("bertopic")
    from bertopic import BERTopic
    from bertopic.backend import Model2VecBackend
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    def topics(model: Any) -> tuple[list[int], Any]:
        topic_model = BERTopic(
            embedding_model=model,
            umap_model=PCA(n_components=5, random_state=0),
            hdbscan_model=KMeans(n_clusters=6, random_state=0, n_init=3),
        )
        found, _ = topic_model.fit_transform(DOCS)
        assert isinstance(topic_model.embedding_model, Model2VecBackend)
        return found, topic_model.get_topic_info()

    ours, ours_info = topics(model2vec.StaticModel.from_pretrained(FOLDER))
    theirs, theirs_info = topics(ORIGINAL.from_pretrained(FOLDER))
    assert ours == theirs
    assert list(ours_info["Name"]) == list(theirs_info["Name"])


def test_embetter_pipeline_fits_dumps_and_loads(patched: type, tmp_path: Path) -> None:
    pytest.importorskip("embetter")
    joblib = pytest.importorskip("joblib")
    from embetter.text import TextEncoder
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    labels = [int("file" in doc.lower() or "path" in doc.lower()) for doc in DOCS]
    pipe = make_pipeline(TextEncoder(str(FOLDER)), LogisticRegression(max_iter=500))
    pipe.fit(DOCS, labels)
    assert type(pipe[0].model) is patched
    predicted = pipe.predict_proba(DOCS)
    reference = make_pipeline(TextEncoder(ORIGINAL.from_pretrained(FOLDER)),
                              LogisticRegression(max_iter=500)).fit(DOCS, labels)  # fmt: skip
    np.testing.assert_allclose(predicted, reference.predict_proba(DOCS), atol=1e-5)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    code = (
        "import sys, joblib, numpy as np\n"
        "pipe = joblib.load(sys.argv[1])\n"
        "np.save(sys.argv[2], pipe.predict_proba(sys.argv[3:]))\n"
    )
    out = tmp_path / "p.npy"
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "pipe.joblib"), str(out),
                    *DOCS], check=True)  # fmt: skip
    np.testing.assert_array_equal(np.load(out), predicted)


def test_vicinity_over_patched_vectors(patched: type, tmp_path: Path) -> None:
    pytest.importorskip("vicinity")
    from vicinity import Backend, Vicinity

    ours: Any = model2vec.StaticModel.from_pretrained(FOLDER)
    theirs = ORIGINAL.from_pretrained(FOLDER)
    queries = ["how to split a path", "serialize an object to a string", "run a command"]

    def neighbours(model: Any, name: str) -> list[list[str]]:
        index = Vicinity.from_vectors_and_items(
            model.encode(DOCS), DOCS, backend_type=Backend.BASIC
        )
        index.save(tmp_path / name)
        loaded = Vicinity.load(tmp_path / name)
        return [[item for item, _ in hits] for hits in loaded.query(model.encode(queries), k=5)]

    assert neighbours(ours, "ours") == neighbours(theirs, "theirs")
