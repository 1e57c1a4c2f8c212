"""StaticModel API: encode variants, CSR round trip, saving, threads, errors."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from model_factory import CORPUS, make_model_folder, make_tokenizer

import fastpool
from fastpool import StaticModel

TEXTS = [
    "Hello world!",
    "",
    "🙂 only",
    "The quick brown fox jumps over the lazy dog. " * 5,
    "Café naïve",
    "tokens and subword pieces",
]


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model_folder(
        tmp_path_factory.mktemp("api"),
        kind="wordpiece",
        vocab_quantized=True,
        normalize=True,
        max_length=32,
    )


@pytest.fixture(scope="module")
def model(model_folder: Path) -> StaticModel:
    return fastpool.load(model_folder)


def test_shapes_and_dtypes(model: StaticModel) -> None:
    out = model.encode(TEXTS)
    assert out.shape == (len(TEXTS), model.dim) and out.dtype == np.float32
    assert model.encode("Hello world!").shape == (model.dim,)
    np.testing.assert_array_equal(model.encode("Hello world!"), out[0])
    assert model.encode([]).shape == (0, model.dim)
    np.testing.assert_array_equal(model.encode(tuple(TEXTS)), out)
    np.testing.assert_array_equal(out[1], 0)  # empty text -> zeros
    np.testing.assert_allclose(np.linalg.norm(out[[0, 3, 4]], axis=1), 1, atol=1e-6)


def test_extra_keyword_arguments_are_ignored(model: StaticModel) -> None:
    expected = model.encode(TEXTS)
    got = model.encode(
        TEXTS,
        use_multiprocessing=True,
        multiprocessing_threshold=1,
        convert_to_numpy=True,
        whatever=3,
    )
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("batch_size", [1, 2, 5, 1000])
@pytest.mark.parametrize("n_threads", [1, 2, -1])
def test_batching_and_threads_do_not_change_results(
    model: StaticModel, batch_size: int, n_threads: int
) -> None:
    np.testing.assert_array_equal(
        model.encode(TEXTS * 3, batch_size=batch_size, n_threads=n_threads), model.encode(TEXTS * 3)
    )


def test_pooling_in_chunks_does_not_change_results(
    model: StaticModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = model.encode(TEXTS * 7, batch_size=3)
    monkeypatch.setattr("fastpool._encode.POOL_CHUNK_TOKENS", 5)
    np.testing.assert_array_equal(model.encode(TEXTS * 7, batch_size=3), expected)
    np.testing.assert_array_equal(model.encode(TEXTS * 7, batch_size=1), expected)


def test_csr_round_trip(model: StaticModel) -> None:
    ids, offsets = model.tokenize_csr(TEXTS)
    assert ids.dtype == np.int32 and offsets.dtype == np.int64 and offsets.size == len(TEXTS) + 1
    np.testing.assert_array_equal(model.pool(ids, offsets), model.encode(TEXTS))
    np.testing.assert_array_equal(
        model.pool(ids.astype(np.int64), offsets, normalize=False),
        model.encode(TEXTS, normalize=False),
    )
    lists = model.tokenize(TEXTS)
    assert [len(x) for x in lists] == np.diff(offsets).tolist()
    assert model.tokenize("Hello world!") == lists[0]
    assert model.unk_token_id not in ids


def test_max_length_limits_tokens(model: StaticModel) -> None:
    long_text = " ".join(CORPUS[:5])
    for limit in (0, 1, 3, 10):
        ids, offsets = model.tokenize_csr([long_text], max_length=limit)
        assert offsets[-1] <= limit
    np.testing.assert_array_equal(model.encode(long_text, max_length=0), 0)
    full = model.tokenize(long_text, max_length=None)
    assert model.tokenize(long_text, max_length=10) == [t for t in full[:10]]


def test_pool_checks_its_inputs(model: StaticModel) -> None:
    n_ids = model.mapping.size if model.mapping is not None else model.table.shape[0]
    with pytest.raises(ValueError, match=rf"ids must be in \[0, {n_ids}\)"):
        model.pool([0, n_ids], [0, 2])
    with pytest.raises(ValueError, match=r"offsets\[-1\] must equal len\(ids\)"):
        model.pool([0, 1], [0, 1])
    with pytest.raises(ValueError, match="non-decreasing"):
        model.pool([0, 1], [0, 2, 1, 2])


def test_argument_errors(model: StaticModel) -> None:
    with pytest.raises(ValueError, match="max_length must be a non-negative int or None, got -1"):
        model.encode(TEXTS, max_length=-1)
    with pytest.raises(TypeError, match="max_length must be a non-negative int or None, got str"):
        model.encode(TEXTS, max_length="3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        model.encode(TEXTS, batch_size=0)
    with pytest.raises(TypeError, match="sentences must be strings, got int at index 1"):
        model.encode(["a", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="sentences must be strings, got NoneType at index 7"):
        model.encode(["a"] * 7 + [None], batch_size=2, n_threads=2)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="n_threads must be a positive count"):
        model.encode(TEXTS, n_threads=0)


def test_load_argument_errors(model_folder: Path) -> None:
    with pytest.raises(ValueError, match=r"dimensionality must be in \[1, 16\], got 17"):
        fastpool.load(model_folder, dimensionality=17)
    with pytest.raises(ValueError, match="quantize_to must be one of"):
        fastpool.load(model_folder, quantize_to="int4")


def test_properties(model: StaticModel, model_folder: Path) -> None:
    assert model.normalize is True and model.max_length == 32
    assert model.config["normalize"] is True and model.config["max_length"] == 32
    assert model.embedding_dtype == "float32"
    assert len(model.tokens) == make_tokenizer("wordpiece").get_vocab_size()
    assert model.vocabulary_quantization == model.table.shape[0]
    assert "StaticModel(" in repr(model)
    other = fastpool.load(model_folder, normalize=False, max_length=None)
    assert other.normalize is False and other.max_length is None
    other.normalize = True
    other.max_length = 4
    assert other.config["normalize"] is True and other.config["max_length"] == 4
    # model2vec's config is the model's own dict: a key set there is saved, while the
    # model's settings stay its attributes.
    other.config["normalize"] = False
    other.config["note"] = "kept"
    assert other.normalize is True and other.config["note"] == "kept"


def test_concurrent_encode_equals_sequential(model: StaticModel) -> None:
    texts = [" ".join(CORPUS[i % len(CORPUS) : i % len(CORPUS) + 3]) for i in range(300)]
    limits = [None, 1, 2, 5, 16, 512]
    expected = {limit: model.encode(texts, max_length=limit, batch_size=37) for limit in limits}
    errors: list[BaseException] = []
    results: dict[tuple[int, int, int | None], np.ndarray] = {}

    def work(worker: int, limit: int | None) -> None:
        try:
            for rep in range(3):
                results[worker, rep, limit] = model.encode(texts, max_length=limit, batch_size=37)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i, limits[i % len(limits)])) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (_, _, limit), got in results.items():
        np.testing.assert_array_equal(got, expected[limit])


def test_no_environment_variables_are_set(model: StaticModel) -> None:
    before = dict(os.environ)
    model.encode(["a b c"] * 10_001, show_progress_bar=False)
    assert dict(os.environ) == before


# -- saving -----------------------------------------------------------------------------------


def test_save_round_trips_through_model2vec(tmp_path: Path, model: StaticModel) -> None:
    m2v = pytest.importorskip("model2vec")
    model.save_pretrained(tmp_path / "ours")
    theirs = m2v.StaticModel.from_pretrained(tmp_path / "ours")
    ours = fastpool.load(tmp_path / "ours")
    np.testing.assert_allclose(theirs.encode(TEXTS), model.encode(TEXTS), atol=1e-6, rtol=0)
    np.testing.assert_array_equal(ours.encode(TEXTS), model.encode(TEXTS))
    # model2vec saving the same model writes the same files.
    theirs.save_pretrained(tmp_path / "theirs")
    for name in ("config.json", "modules.json", "tokenizer.json"):
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "theirs" / name).read_bytes()
    from safetensors.numpy import load_file

    a, b = (
        load_file(tmp_path / "ours" / "model.safetensors"),
        load_file(tmp_path / "theirs" / "model.safetensors"),
    )
    assert set(a) == set(b) == {"embeddings", "weights", "mapping"}
    for key in a:
        assert a[key].dtype == b[key].dtype
        np.testing.assert_array_equal(a[key], b[key])
    config = json.loads((tmp_path / "ours" / "config.json").read_text())
    assert config["embedding_dtype"] == "float32"
    assert config["vocabulary_quantization"] == model.table.shape[0]
    modules = json.loads((tmp_path / "ours" / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules] == ["StaticEmbedding", "Normalize"]


def test_model_card_is_valid(tmp_path: Path, model: StaticModel) -> None:
    hub = pytest.importorskip("huggingface_hub")
    model.save_pretrained(tmp_path / "card", model_name="my-model")
    data = hub.ModelCard.load(tmp_path / "card" / "README.md").data.to_dict()
    assert data["library_name"] == "model2vec" and data["model_name"] == "my-model"


@pytest.mark.parametrize("quantize_to", ["float16", "int8"])
def test_save_quantized_and_reduced(tmp_path: Path, model_folder: Path, quantize_to: str) -> None:
    m2v = pytest.importorskip("model2vec")
    model = fastpool.load(model_folder, quantize_to=quantize_to, dimensionality=7)
    model.save_pretrained(tmp_path / "q")
    theirs = m2v.StaticModel.from_pretrained(tmp_path / "q")
    assert theirs.embedding.dtype == np.dtype(quantize_to) and theirs.dim == 7
    atol = 1e-3 if quantize_to == "float16" else 1e-6
    np.testing.assert_allclose(
        theirs.encode(TEXTS).astype(np.float32), model.encode(TEXTS), atol=atol, rtol=0
    )
    assert fastpool.load(tmp_path / "q").embedding_dtype == quantize_to


def test_save_over_the_loaded_folder(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path)
    model = fastpool.load(folder)
    expected = model.encode(TEXTS)
    model.save_pretrained(folder)  # the table is mapped from the file being replaced
    np.testing.assert_array_equal(model.encode(TEXTS), expected)
    np.testing.assert_array_equal(fastpool.load(folder).encode(TEXTS), expected)


def test_sentence_transformers_loads_a_saved_model(
    tmp_path: Path, model: StaticModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    st = pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model.save_pretrained(tmp_path / "st")
    texts = ["hello world", "the quick brown fox", "tokens and subword pieces"]  # no unknown tokens
    loaded = st.SentenceTransformer(str(tmp_path / "st"), device="cpu")
    np.testing.assert_allclose(loaded.encode(texts), model.encode(texts), atol=1e-6, rtol=0)


def test_loads_a_sentence_transformers_static_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder as sentence-transformers 6 saves a StaticEmbedding model (like
    static-retrieval-mrl-en-v1): config_sentence_transformers.json, embedding.weight."""
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tokenizer = make_tokenizer("wordpiece", limits=False)
    weights = torch.randn(
        tokenizer.get_vocab_size(), 12, generator=torch.Generator().manual_seed(0)
    )
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    static = StaticEmbedding(tokenizer, embedding_weights=weights)
    st.SentenceTransformer(modules=[static], device="cpu").save(str(tmp_path / "st"))
    model = fastpool.load(tmp_path / "st")
    from fastpool.persistence.folder import find_model_files

    assert find_model_files(tmp_path / "st").is_sentence_transformers
    texts = ["hello world", "the quick brown fox", "tokens and subword pieces"]
    expected = st.SentenceTransformer(str(tmp_path / "st"), device="cpu").encode(texts)
    np.testing.assert_allclose(model.encode(texts), expected, atol=1e-6, rtol=0)
