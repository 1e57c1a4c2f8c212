"""Pickling StaticModel (how Ray ships it) and fastpool.ray.Embedder outside Ray.

No Ray cluster here: these run everywhere (Embedder tests need pyarrow).
"""

from __future__ import annotations

import copy
import os
import pickle
import shutil

import numpy as np
import pytest
from model_factory import make_model_folder

import fastpool
from fastpool import StaticModel

TEXTS = ["The quick brown fox jumps over the lazy dog.", "", "Tokenizers split text.", "café"]


def test_folder_model_pickles_as_path(tmp_path):
    folder = make_model_folder(tmp_path, dtype="float32", dim=64)
    model = fastpool.load(folder, normalize=True)
    data = pickle.dumps(model)
    assert len(data) < 2_000  # the path and options, not 29 KB of table
    assert str(folder).encode() in data
    again = pickle.loads(data)
    np.testing.assert_array_equal(again.encode(TEXTS), model.encode(TEXTS))
    assert again.tokenizer_backend == model.tokenizer_backend


def test_pickle_keeps_load_options_and_later_changes(tmp_path):
    folder = make_model_folder(tmp_path, dtype="float32", dim=32)
    model = fastpool.load(folder, quantize_to="int8", dimensionality=16, max_length=4)
    model.normalize = True
    model.max_length = 3
    again = pickle.loads(pickle.dumps(model))
    assert (again.embedding_dtype, again.dim, again.normalize, again.max_length) == (
        "int8", 16, True, 3
    )  # fmt: skip
    np.testing.assert_array_equal(again.encode(TEXTS), model.encode(TEXTS))
    np.testing.assert_array_equal(copy.deepcopy(model).encode(TEXTS), model.encode(TEXTS))


def test_relative_path_survives_a_change_of_directory(tmp_path, monkeypatch):
    make_model_folder(tmp_path, name="m")
    monkeypatch.chdir(tmp_path)
    model = StaticModel.from_pretrained("m", tokenizer_backend="tokenizers")
    data = pickle.dumps(model)
    monkeypatch.chdir(os.sep)
    again = pickle.loads(data)
    assert again.tokenizer_backend == "tokenizers"
    np.testing.assert_array_equal(again.encode(TEXTS), model.encode(TEXTS))


def test_changed_folder_is_an_error(tmp_path):
    folder = make_model_folder(tmp_path, dim=16, name="m")
    data = pickle.dumps(fastpool.load(folder))
    shutil.rmtree(folder)
    make_model_folder(tmp_path, dim=8, name="m")
    with pytest.raises(ValueError, match=r"the model folder changed since the model was pickled"):
        pickle.loads(data)


@pytest.mark.parametrize("backend", ["auto", "tokenizers"])
def test_in_memory_model_pickles_its_arrays(tmp_path, backend):
    source = fastpool.load(make_model_folder(tmp_path, vocab_quantized=True))
    model = StaticModel(
        np.array(source.table), source._tokenizer, weights=source.weights,
        mapping=source.mapping, normalize=True, tokenizer_backend=backend,
    )  # fmt: skip
    data = pickle.dumps(model)
    assert len(data) > model.table.nbytes
    again = pickle.loads(data)
    assert again.tokenizer_backend == model.tokenizer_backend
    np.testing.assert_array_equal(again.encode(TEXTS), model.encode(TEXTS))


# -- Embedder without Ray ----------------------------------------------------------------------

pa = pytest.importorskip("pyarrow")


def test_embedder_appends_a_fixed_size_list_column(tmp_path):
    from fastpool.ray import Embedder

    folder = make_model_folder(tmp_path, dim=16)
    embedder = Embedder(folder, n_threads=1, output_column="vec")
    table = pa.table({"id": [0, 1, 2, 3], "text": pa.array(TEXTS, type=pa.large_string())})
    out = embedder(table)
    assert out.column_names == ["id", "text", "vec"]
    assert out.schema.field("vec").type == pa.list_(pa.float32(), 16)
    vectors = out.column("vec").combine_chunks().flatten().to_numpy().reshape(-1, 16)
    np.testing.assert_array_equal(vectors, fastpool.load(folder).encode(TEXTS))
    assert embedder(table.slice(0, 0)).num_rows == 0


def test_embedder_numpy_batches_and_loaded_models(tmp_path):
    from fastpool.ray import Embedder

    model = fastpool.load(make_model_folder(tmp_path, dim=16))
    out = Embedder(model)({"text": np.array(TEXTS, dtype=object)})
    np.testing.assert_array_equal(out["embedding"], model.encode(TEXTS))
    with pytest.raises(TypeError, match=r"load options \['max_length'\] need a model path"):
        Embedder(model, max_length=3)
    with pytest.raises(TypeError, match=r"text column 'text' must hold str, got int at row 1"):
        Embedder(model)({"text": np.array(["a", 1], dtype=object)})


def test_embedder_rejects_nulls_and_non_strings(tmp_path):
    from fastpool.ray import Embedder

    embedder = Embedder(make_model_folder(tmp_path, dim=16), text_column="t")
    with pytest.raises(ValueError, match=r"text column 't' has 1 nulls in this batch"):
        embedder(pa.table({"t": ["a", None]}))
    with pytest.raises(TypeError, match=r"text column 't' must be strings, got int64"):
        embedder(pa.table({"t": [1, 2]}))


def test_assigned_cpus_outside_ray():
    from fastpool.ray import assigned_cpus

    assert assigned_cpus() is None
