"""sentence-transformers folders encode as ``SentenceTransformer(folder).encode`` does.

The folders are written by sentence-transformers itself (StaticEmbedding +
optional Normalize, ``SentenceTransformer.save``), with tokenizers that truncate
(as exported tokenizers often do) and texts with unknown tokens, long texts and
empty texts, on both tokenizer backends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from model_factory import make_model_folder, make_tokenizer

import fastpool

pytest.importorskip("torch")
st = pytest.importorskip("sentence_transformers")

TEXTS = [
    "hello world",
    "The quick brown fox jumps over the lazy dog, again and again and again.",
    "日本語 and emoji 🙂 are unknown to this tokenizer",
    "",
    "Tokenizers split text into words and subword pieces. " * 20,
    "x",
]
ATOL = 1e-6


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _st_folder(
    tmp_path: Path,
    *,
    normalize: bool = False,
    truncation: int | None = 8,
    direction: str = "right",
    kind: str = "wordpiece",
    dim: int = 12,
    prompts: dict[str, str] | None = None,
    default_prompt_name: str | None = None,
    nested: bool = False,
    name: str = "st",
) -> Path:
    import torch
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding

    tokenizer = make_tokenizer(kind, limits=False)
    if truncation is not None:
        tokenizer.enable_truncation(truncation, direction=direction)
    tokenizer.enable_padding(pad_id=0, length=16)  # sentence-transformers turns it off
    weights = torch.randn(
        tokenizer.get_vocab_size(), dim, generator=torch.Generator().manual_seed(0)
    )
    modules: list[Any] = [StaticEmbedding(tokenizer, embedding_weights=weights)]
    if normalize:
        modules.append(Normalize())
    model = st.SentenceTransformer(
        modules=modules, device="cpu", prompts=prompts, default_prompt_name=default_prompt_name
    )
    folder = tmp_path / name
    model.save(str(folder))
    if nested:  # layout (c): the module's files under 0_StaticEmbedding/
        import json

        sub = folder / "0_StaticEmbedding"
        sub.mkdir()
        for file in ("model.safetensors", "tokenizer.json"):
            (folder / file).rename(sub / file)
        modules_json = json.loads((folder / "modules.json").read_text())
        modules_json[0]["path"] = "0_StaticEmbedding"
        (folder / "modules.json").write_text(json.dumps(modules_json))
    return folder


def _reference(folder: Path, texts: list[str] | str = TEXTS, **kwargs: Any) -> np.ndarray:
    truncate_dim = kwargs.pop("truncate_dim", None)
    model = st.SentenceTransformer(str(folder), device="cpu", truncate_dim=truncate_dim)
    return model.encode(texts, **kwargs)


@pytest.mark.parametrize("backend", ["native", "tokenizers"])
@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("truncation", [None, 8])
def test_matches_sentence_transformers(
    tmp_path: Path, backend: str, normalize: bool, truncation: int | None
) -> None:
    folder = _st_folder(tmp_path, normalize=normalize, truncation=truncation)
    model = fastpool.load(folder, tokenizer_backend=backend)
    assert model.semantics == "sentence-transformers"
    assert model.normalize is normalize
    assert model.max_length == truncation
    np.testing.assert_allclose(model.encode(TEXTS), _reference(folder), atol=ATOL, rtol=0)
    np.testing.assert_allclose(
        model.encode(TEXTS[1]), _reference(folder, TEXTS[1]), atol=ATOL, rtol=0
    )


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_other_tokenizers(tmp_path: Path, kind: str) -> None:
    folder = _st_folder(tmp_path, kind=kind, normalize=True)
    model = fastpool.load(folder)
    np.testing.assert_allclose(model.encode(TEXTS), _reference(folder), atol=ATOL, rtol=0)


def test_nested_layout(tmp_path: Path) -> None:
    folder = _st_folder(tmp_path, nested=True, normalize=True)
    np.testing.assert_allclose(
        fastpool.load(folder).encode(TEXTS), _reference(folder), atol=ATOL, rtol=0
    )


def test_factory_layouts_keep_unknown_tokens_and_truncate(tmp_path: Path) -> None:
    """model_factory's ST folders (embedding.weight, no modules.json, truncation 8)."""
    for layout in ("st", "st_nested"):
        folder = make_model_folder(tmp_path, layout=layout)
        model = fastpool.load(folder)
        ids = model.tokenize(TEXTS)
        assert max(len(row) for row in ids) == 8
        assert any(model.unk_token_id in row for row in ids)
        assert fastpool.load(folder, semantics="model2vec").max_length == 512


def test_left_truncation(tmp_path: Path) -> None:
    folder = _st_folder(tmp_path, truncation=5, direction="left")
    for backend in ("native", "tokenizers"):
        model = fastpool.load(folder, tokenizer_backend=backend)
        np.testing.assert_allclose(model.encode(TEXTS), _reference(folder), atol=ATOL, rtol=0)


def test_per_call_max_length(tmp_path: Path) -> None:
    folder = _st_folder(tmp_path, truncation=None)
    model = fastpool.load(folder)
    theirs = st.SentenceTransformer(str(folder), device="cpu")
    theirs[0].tokenizer.enable_truncation(3)
    np.testing.assert_allclose(
        model.encode(TEXTS, max_length=3), theirs.encode(TEXTS), atol=ATOL, rtol=0
    )


def test_prompts(tmp_path: Path) -> None:
    prompts = {"query": "query: ", "passage": "passage of text: "}
    folder = _st_folder(tmp_path, prompts=prompts, default_prompt_name="query", truncation=None)
    model = fastpool.load(folder)
    assert model.prompts["query"] == "query: " and model.default_prompt_name == "query"
    np.testing.assert_allclose(model.encode(TEXTS), _reference(folder), atol=ATOL, rtol=0)
    cases: list[dict[str, Any]] = [
        {"prompt_name": "passage"},
        {"prompt": "custom "},
        {"prompt": ""},
    ]
    for kwargs in cases:
        np.testing.assert_allclose(
            model.encode(TEXTS, **kwargs), _reference(folder, **kwargs), atol=ATOL, rtol=0
        )
    with pytest.raises(ValueError, match="prompt_name 'nope' not found"):
        model.encode(TEXTS, prompt_name="nope")


@pytest.mark.parametrize("normalize", [False, True])
def test_truncate_dim(tmp_path: Path, normalize: bool) -> None:
    folder = _st_folder(tmp_path, normalize=normalize)
    expected = _reference(folder, truncate_dim=5)
    at_load = fastpool.load(folder, truncate_dim=5)
    assert at_load.dim == at_load.get_embedding_dimension() == 5
    assert at_load.get_sentence_embedding_dimension() == 5
    np.testing.assert_allclose(at_load.encode(TEXTS), expected, atol=ATOL, rtol=0)
    model = fastpool.load(folder)
    np.testing.assert_allclose(model.encode(TEXTS, truncate_dim=5), expected, atol=ATOL, rtol=0)
    # normalize_embeddings=True normalises after the cut.
    np.testing.assert_allclose(
        model.encode(TEXTS, truncate_dim=5, normalize=True),
        _reference(folder, truncate_dim=5, normalize_embeddings=True),
        atol=ATOL,
        rtol=0,
    )
    np.testing.assert_allclose(
        model.encode(TEXTS, truncate_dim=5, normalize_embeddings=True),
        _reference(folder, truncate_dim=5, normalize_embeddings=True),
        atol=ATOL,
        rtol=0,
    )
    with pytest.raises(ValueError, match=r"truncate_dim must be in \[1, 12\], got 13"):
        model.encode(TEXTS, truncate_dim=13)


def test_truncate_dim_reads_a_column_slice(tmp_path: Path) -> None:
    """model2vec folders: truncate_dim equals dimensionality (slice, then normalise)."""
    folder = make_model_folder(tmp_path, normalize=True)
    sliced = fastpool.load(folder, dimensionality=6)
    model = fastpool.load(folder)
    np.testing.assert_array_equal(model.encode(TEXTS, truncate_dim=6), sliced.encode(TEXTS))
    ids, offsets = model.tokenize_csr(TEXTS)
    model.truncate_dim = 6
    np.testing.assert_array_equal(model.pool(ids, offsets), sliced.encode(TEXTS))


@pytest.mark.parametrize("precision", ["int8", "uint8", "binary", "ubinary"])
@pytest.mark.parametrize("truncate_dim", [None, 5])
def test_precision(tmp_path: Path, precision: str, truncate_dim: int | None) -> None:
    folder = _st_folder(tmp_path, normalize=True)
    model = fastpool.load(folder)
    texts = TEXTS[:3] + TEXTS[4:]  # an empty text's zero vector sits on bucket edges
    from sentence_transformers.util.quantization import quantize_embeddings as st_quantize

    ours = model.encode(texts, precision=precision, truncate_dim=truncate_dim)
    theirs = _reference(folder, texts, precision=precision, truncate_dim=truncate_dim)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    # The same function of the float32 vectors...
    floats = model.encode(texts, truncate_dim=truncate_dim)
    np.testing.assert_array_equal(ours, st_quantize(floats, precision))  # type: ignore[arg-type]
    # ...which differ from sentence-transformers' by ~1e-7, enough to move a value
    # that sits on a bucket edge (the column maximum: 255 * (1 - eps)) by one bucket.
    if precision.endswith("int8"):
        assert np.abs(ours.astype(np.int16) - theirs.astype(np.int16)).max() <= 1
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_precision_errors(tmp_path: Path) -> None:
    model = fastpool.load(_st_folder(tmp_path))
    with pytest.raises(ValueError, match="cannot compute int8 ranges from a single embedding"):
        model.encode("one text", precision="int8")
    with pytest.raises(ValueError, match="precision must be one of"):
        model.encode(TEXTS, precision="float16")
    assert model.encode("one text", precision="binary").shape == (2,)
    assert model.encode([], precision="ubinary").shape == (0, 2)


def test_quantize_embeddings_with_ranges() -> None:
    from sentence_transformers.util.quantization import quantize_embeddings as st_quantize

    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 10)).astype(np.float32)
    calibration = rng.standard_normal((50, 10)).astype(np.float32)
    for precision in ("int8", "uint8"):
        np.testing.assert_array_equal(
            fastpool.quantize_embeddings(x, precision, calibration_embeddings=calibration),
            st_quantize(x, precision, calibration_embeddings=calibration),
        )


@pytest.mark.parametrize("fn", ["cosine", "dot", "euclidean", "manhattan"])
def test_similarity(tmp_path: Path, fn: str) -> None:
    import json

    folder = _st_folder(tmp_path)
    config_path = folder / "config_sentence_transformers.json"
    config = json.loads(config_path.read_text())
    config["similarity_fn_name"] = fn
    config_path.write_text(json.dumps(config))
    model = fastpool.load(folder)
    theirs = st.SentenceTransformer(str(folder), device="cpu")
    a, b = model.encode(TEXTS), model.encode(TEXTS[:2])
    assert model.similarity_fn_name == fn
    np.testing.assert_allclose(
        model.similarity(a, b), theirs.similarity(a, b).numpy(), atol=1e-5, rtol=1e-5
    )
    if fn == "cosine":
        np.testing.assert_allclose(
            fastpool.similarity(a[0], b), theirs.similarity(a[0], b).numpy(), atol=1e-6
        )


def test_similarity_errors() -> None:
    with pytest.raises(ValueError, match="a and b must have the same dim, got 3 and 4"):
        fastpool.similarity(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="fn must be one of"):
        fastpool.similarity(np.ones(3), np.ones(3), fn="l2")
    assert fastpool.similarity(np.zeros(3), np.ones(3))[0, 0] == 0


def test_modules_other_than_static_and_normalize_are_refused(tmp_path: Path) -> None:
    import json

    folder = _st_folder(tmp_path)
    modules = json.loads((folder / "modules.json").read_text())
    modules.append(
        {"idx": 1, "name": "1", "path": "1_Dense", "type": "sentence_transformers.models.Dense"}
    )
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(
        ValueError, match="StaticEmbedding .* models only, got a module of type 'Dense'"
    ):
        fastpool.load(folder)
    fastpool.load(folder, semantics="model2vec")  # model2vec ignores modules.json


def test_saved_as_model2vec(tmp_path: Path) -> None:
    import json

    model = fastpool.load(_st_folder(tmp_path, normalize=True))
    out = model.save_pretrained(tmp_path / "m2v")
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "model2vec" and config["normalize"] is True
